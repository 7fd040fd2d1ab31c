"""The end-to-end benchmark times real processes stage by stage; the cached run skips recognition."""
from openhuman.engine.speech.audio import load_audio
from openhuman.training.bench_end_to_end import BLENDER_AGAIN, RUNS, benchmark_end_to_end

from bad_input_support import VOICE


def test_four_runs_with_stages_real_time_factors_and_the_cache_at_work():
    report = benchmark_end_to_end(method="procedural", clip=(load_audio(VOICE), "a short test clip", "example"))
    runs = report["runs"]
    assert list(runs) == [label for label, *_ in RUNS] + ["Blender Generate, audio only", BLENDER_AGAIN]
    again = runs.pop(BLENDER_AGAIN)
    assert "cache" in again["words"] and 0 < again["wall_s"] and again["real_time_factor"] > 0, again
    for run in runs.values():
        stages = run["stages_s"]
        assert {"start-up", "total"} <= set(stages)
        assert 0 < stages["total"] <= run["wall_s"] and run["real_time_factor"] > 0 and run["peak_mb"] > 50
    audio_only, _, cached, draft, blender = runs.values()
    assert "cache" in draft["words"], draft
    assert {"reading audio", "finding words", "writing"} <= set(audio_only["stages_s"])
    assert "recognised" in blender["words"] and blender["stages_s"]["generate"] > 0
    assert report["blender_vs_command_line"] > 0
    assert 0 < report["blender_generate_vs_command_line"] < report["blender_vs_command_line"]
    assert "recognised" in audio_only["words"] and "cache" in cached["words"], runs
    assert cached["stages_s"]["finding words"] < audio_only["stages_s"]["finding words"] / 3


def test_the_timed_reading_is_a_minute_of_real_speech_with_its_words(speech_dir):
    from openhuman.training.bench_end_to_end import MIN_SECONDS, real_reading

    samples, transcript, source = real_reading([speech_dir])
    assert MIN_SECONDS <= len(samples) / 16000 <= 90
    once, _, _ = real_reading([speech_dir], min_seconds=0)
    times = len(samples) // len(once)
    assert len(samples) == times * len(once) and len(transcript.split()) % times == 0 and str(speech_dir) in source


def test_the_sampling_bench_times_the_default_beside_the_draft_and_the_50_steps_it_replaced():
    from openhuman.engine.diffusion.presets import DEFAULT_STEPS
    from openhuman.training.bench_sampling import benchmark_sampling

    cpu = benchmark_sampling(seconds=4.0)["devices"]["cpu"]
    default = f"dpm_sde{DEFAULT_STEPS['dpm-sde']}"
    for key in (default, "dpm_sde10", "dpm_sde50", f"dpm{DEFAULT_STEPS['dpm']}"):  # 10: the draft's
        assert cpu[f"{key}_s"] > 0 and cpu[f"{key}_realtime_factor"] == 4.0 / cpu[f"{key}_s"], key
    assert cpu[f"{default}_two_emotions_s_per_audio_minute"] > 0
    assert cpu[f"{default}_without_voice_guidance_s_per_audio_minute"] > 0
    # the network's precision "auto" chose, beside float32
    assert cpu["auto_precision"] in ("float32", "bfloat16")
    for name in ("auto_precision", "float32", "float32_eager"):
        runs, median = cpu[f"{default}_{name}_runs_s"], cpu[f"{default}_{name}_median_s"]
        assert len(runs) == 3 and sorted(runs)[1] == median and cpu[f"{default}_{name}_realtime_factor"] == 4.0 / median
        if name != "auto_precision":
            assert cpu[f"{name}_over_default"] == median / cpu[f"{default}_auto_precision_median_s"]
