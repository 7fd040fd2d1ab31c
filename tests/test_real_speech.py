"""The real-speech evaluation: its measures on real captures and speech, and `openhuman eval --real-speech`."""
import json
import subprocess
import sys

import numpy as np
import pytest

from openhuman.engine.motion import bvh
from openhuman.engine.speech.audio import load_audio
from openhuman.engine.procedural import synthesise
from openhuman.engine.speech.activity import pauses, speech_activity
from openhuman.training.evaluation import real_measures as rm
from openhuman.training.evaluation.real_speech import RoomNoise, gather_clips, joined_reading

TAKE = "067_Speech_2_part1"


@pytest.fixture(scope="module")
def zeggs_take(zeggs_dir):
    return load_audio(zeggs_dir / f"{TAKE}.wav"), bvh.load(zeggs_dir / f"{TAKE}.bvh").scaled(0.01)


def test_a_real_speaker_moves_with_their_own_voice_not_another(zeggs_take):
    samples, capture = zeggs_take
    tracks = rm.HandTracks(capture)
    assert tracks.n == pytest.approx(len(samples) / 16000 * 20, abs=2)
    own = rm.speech_motion_correlation(samples, tracks)
    shifted = rm.speech_motion_correlation(np.roll(samples, 12 * 16000), tracks)
    assert own > 0.2 and own > shifted + 0.15


def test_real_capture_measures_are_human(zeggs_take):
    samples, capture = zeggs_take
    tracks = rm.HandTracks(capture)
    m = rm.measures(samples, tracks, pauses(speech_activity(samples)))
    assert 0.15 < m["hand_speed"] < 0.6 and 0.1 < m["hand_height"] < 0.4
    assert m["fastest_hand"] < 3.0 and 10 < m["jerk"] < 80
    assert m["pause_seconds"] > 2 and 0 <= m["pause_still_fraction"] <= 1
    windows = rm.window_kinematics(tracks)
    assert windows.shape[1] == 8 and len(windows) == (tracks.n - 40) // 5 + 1
    assert rm.frechet(windows, windows) == pytest.approx(0, abs=1e-6)
    moved = windows + np.array([0.1, 0, 0, 0, 0, 0, 0, 0])
    assert rm.frechet(moved, windows) == pytest.approx(0.01, rel=1e-3)


def test_procedural_hands_rest_in_long_pauses_and_stay_under_3_m_s(zeggs_take, speech_dir):
    reading = gather_clips([speech_dir])[0]
    samples = reading.samples
    clip_pauses = pauses(speech_activity(samples))
    assert sum(b - a > rm.LONG_PAUSE_S for a, b in clip_pauses) >= 2
    tracks = rm.HandTracks(synthesise(samples, None, "Neutral", fps=20.0, seed=1))
    drops = rm.long_pause_drops(tracks, clip_pauses)
    assert drops and min(drops) > 0.1
    for emotion in ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed"):
        fastest = rm.HandTracks(synthesise(zeggs_take[0], None, emotion, fps=20.0, seed=0)).speed.max()
        assert fastest < 3.0, emotion


def test_procedural_moves_with_a_real_voice(zeggs_take, speech_dir):
    """On real recordings the synthesiser's hands move when the voice is loud and settle when it is
    quiet (correlation as a real speaker's with their own voice, 0.31 on this take), and not with
    another stretch of the same voice: gestures start with the speech, not before it."""
    clips = [(zeggs_take[0], None), (gather_clips([speech_dir])[0].samples, None)]
    own, shifted = [], []
    for samples, words in clips:
        for seed in (1, 2):
            tracks = rm.HandTracks(synthesise(samples, words, "Neutral", fps=20.0, seed=seed))
            own.append(rm.speech_motion_correlation(samples, tracks))
            shifted.append(rm.speech_motion_correlation(np.roll(samples, 7 * 16000), tracks))
    assert np.mean(own) > 0.3 and min(own) > 0.2, own
    assert np.mean(own) > np.mean(shifted) + 0.25, (own, shifted)


def test_readings_join_real_clips_with_their_room_noise(speech_dir):
    clips = gather_clips([speech_dir])
    assert len(clips) == 1 and clips[0].name == "speech-reading" and len(clips[0].sources) == 5
    parts = [(p.stem, load_audio(p), "x") for p in sorted(speech_dir.glob("*.wav"))[:2]]
    joined = joined_reading("two", parts)
    gap = joined.samples[len(parts[0][1]) + 8000:len(parts[0][1]) + 16000]  # inside the first pause
    floor = RoomNoise([p[1] for p in parts]).rms
    assert 0.5 * floor < np.sqrt(np.mean(gap ** 2)) < 2 * floor and floor > 1e-4  # room noise, not zeros


def test_eval_real_speech_command(tmp_path, speech_dir):
    out = tmp_path / "rs"
    run = subprocess.run([sys.executable, "-m", "openhuman.cli", "eval", "--real-speech", str(speech_dir),
                          "--neutral-only", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout)
    summary = results["summary"]
    assert set(summary) == {"procedural", "model"}
    for system in ("procedural", "model"):
        row = summary[system]
        assert -1 <= row["correlation"] <= 1 and 0 <= row["pause_still_fraction"] <= 1 and row["fastest_hand"] > 0
        assert row["fastest_hand_max"] >= row["fastest_hand"]
    assert any(t["target"].startswith("correlation") for t in results["targets"])
    assert (out / "real_speech.json").is_file() and "Mean over clips" in (out / "real_speech.md").read_text()
    png = out / "real_speech_speech-reading.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_needs_data_or_real_speech():
    run = subprocess.run([sys.executable, "-m", "openhuman.cli", "eval"], capture_output=True, text=True)
    assert run.returncode != 0 and "--real-speech" in run.stderr


def test_the_bundled_model_follows_a_real_voice_and_rests_in_its_pauses(speech_dir):
    """The shipped model on a real LibriVox reading (default settings): its hands move with this voice
    (not with another stretch of it), come down in the long pauses, and move as smoothly as a person's
    (jerk under 1.3 x the ZeroEGGs capture's 38 m/s³; README, Real speech)."""
    from openhuman.engine.api import GenerateOptions, find_words, generate_for_words

    clip = gather_clips([speech_dir])[0]
    words, _ = find_words(clip.samples, clip.transcript)
    motion = generate_for_words(clip.samples, words, GenerateOptions(emotion="Neutral", seed=1)).motion
    tracks = rm.HandTracks(motion)
    own = rm.speech_motion_correlation(clip.samples, tracks)
    shifted = rm.speech_motion_correlation(np.roll(clip.samples, 7 * 16000), tracks)
    assert own > 0.3 and own > shifted + 0.15, (own, shifted)  # 0.36 here; 0.29 without voice guidance
    clip_pauses = pauses(speech_activity(clip.samples))
    measured = rm.measures(clip.samples, tracks, clip_pauses)
    assert measured["jerk"] < 50 and measured["fastest_hand"] < 3.0, measured
    assert measured["long_pause_drop"] > 0.1 and measured["pause_hand_height"] < 0.2, measured


def test_the_bundled_models_fastest_hand_is_capped_on_the_real_take(zeggs_take, monkeypatch):
    """On the ZeroEGGs take (Neutral, seed 3, 50 sampler steps, intensity 2.5) the sampler throws a hand at
    3.07 m/s; the cap (engine/diffusion/hand_speed.py) brings it under the real speaker's 2.73 and changes
    little else."""
    from openhuman.engine.api import GenerateOptions, find_words, generate_for_words
    from openhuman.engine.diffusion import hand_speed

    samples = zeggs_take[0]
    words, _ = find_words(samples, None)
    options = GenerateOptions(emotion="Neutral", seed=3, steps=50, intensity=2.5)
    capped = rm.HandTracks(generate_for_words(samples, words, options).motion)
    monkeypatch.setattr(hand_speed, "HAND_SPEED_LIMIT", 0.0)
    free = rm.HandTracks(generate_for_words(samples, words, options).motion)
    assert free.speed.max() > 2.9 and capped.speed.max() < 2.75, (free.speed.max(), capped.speed.max())
    assert capped.jerk().mean() <= free.jerk().mean()
    assert capped.speed.mean() == pytest.approx(free.speed.mean(), rel=0.03)
    r_free, r_capped = (rm.speech_motion_correlation(samples, t) for t in (free, capped))
    assert abs(r_capped - r_free) < 0.02, (r_free, r_capped)


def test_emotion_windows_pool_over_seeds(zeggs_take):
    """Each emotion's accuracy counts the windows of all its seeds; kinematics are the seeds' mean."""
    from openhuman.training.evaluation.emotion_classifier import EmotionClassifier
    from openhuman.training.evaluation.real_speech import _emotion_table
    from openhuman.training.evaluation.report import DEFAULT_CLASSIFIER

    samples = zeggs_take[0][: 12 * 16000]
    classifier = EmotionClassifier.load(DEFAULT_CLASSIFIER)
    seeded = {e: [synthesise(samples, None, e, fps=30.0, seed=s) for s in (1, 2)] for e in ("Neutral", "Angry")}
    one = _emotion_table({e: m[:1] for e, m in seeded.items()}, classifier)
    two = _emotion_table(seeded, classifier)
    second = _emotion_table({e: m[1:] for e, m in seeded.items()}, classifier)
    for e in seeded:
        assert one[e]["windows"] > 0 and two[e]["windows"] == one[e]["windows"] + second[e]["windows"]
        assert two[e]["correct"] == one[e]["correct"] + second[e]["correct"]
        assert two[e]["hand_speed"] == pytest.approx((one[e]["hand_speed"] + second[e]["hand_speed"]) / 2)
    assert two["Angry"]["hand_speed"] > two["Neutral"]["hand_speed"]


def test_eval_refuses_no_emotion_seeds(speech_dir):
    run = subprocess.run([sys.executable, "-m", "openhuman.cli", "eval", "--real-speech", str(speech_dir),
                          "--emotion-seeds", "0"], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "--emotion-seeds must be at least 1" in run.stderr


def test_the_fastest_hand_target_takes_the_fastest_clip_not_the_mean():
    """"No hand faster than 3 m/s" fails when one clip's hand reaches 3.2 m/s, even if the mean over
    clips stays under 3."""
    from openhuman.training.evaluation.real_speech import check_targets, summarise

    def clip(fastest):
        return {"systems": {s: {"correlation": 0.4, "jerk": 40.0, "fastest_hand": fastest,
                                "fastest_hand_max": fastest} for s in ("procedural", "model")}}

    summary = summarise({"a": clip(3.2), "b": clip(2.0)}, {"model": [], "procedural": []})
    assert summary["model"]["fastest_hand"] < 3.0 and summary["model"]["fastest_hand_max"] == 3.2
    rows = {t["target"]: t for t in check_targets(summary)}
    assert not rows["fastest hand <= 3 m/s, any clip and seed (model)"]["pass"]
    rows = {t["target"]: t for t in check_targets(summarise({"b": clip(2.0)}, {"model": [], "procedural": []}))}
    assert rows["fastest hand <= 3 m/s, any clip and seed (model)"]["pass"]


def test_smoothing_study_shows_the_jerk_the_output_smoothing_removes(speech_dir):
    """On a real reading, the study's σ = 1 (the default) leaves the hands' jerk well under σ = 0.5's
    (on the three real clips: 38.7 against 75.9 m/s³), and it restores the default afterwards."""
    from openhuman.engine.diffusion import windowed_sampling
    from openhuman.engine.constants import BUNDLED_MODEL
    from openhuman.training.evaluation.smoothing_study import real_speech_measures

    before = windowed_sampling.OUTPUT_SMOOTHING
    result = real_speech_measures([speech_dir], str(BUNDLED_MODEL), (0.5, 1.0), seed=1, seeds=1)
    rows = result["sigmas"]
    assert rows["1.0"]["jerk"] < 0.8 * rows["0.5"]["jerk"], rows
    assert abs(rows["1.0"]["correlation"] - rows["0.5"]["correlation"]) < 0.05, rows  # the gestures stay
    assert windowed_sampling.OUTPUT_SMOOTHING == before


def test_smoothing_study_refuses_negative_sigmas(capsys):
    from openhuman.training.evaluation.smoothing_study import main

    with pytest.raises(SystemExit):
        main(["--real-speech", "x", "--sigmas", "-1"])
    assert "--sigmas must be 0 or more" in capsys.readouterr().err



def test_the_draft_keeps_the_standard_look_on_a_real_voice(speech_dir):
    """Draft (10 steps, the intensity × 1.2: engine/diffusion/presets.py) in half of standard's passes, on a real
    LibriVox reading, two seeds pooled: the same voice-following and stillness, hands within 15 % as fast
    (-13 % here: the reading is where draft loses most, -6 % over the three real clips). Without the gain
    the same ten steps move the hands more slowly still: fewer steps weaken the guidance."""
    from openhuman.engine.api import find_words, generate_for_words
    from openhuman.engine.settings import options_from_settings

    clip = gather_clips([speech_dir])[0]
    words, _ = find_words(clip.samples, clip.transcript)
    clip_pauses = pauses(speech_activity(clip.samples))

    def measured(**settings):
        runs = [rm.measures(clip.samples, rm.HandTracks(generate_for_words(
            clip.samples, words, options_from_settings({"emotion": "Neutral", "seed": seed, **settings})).motion),
            clip_pauses) for seed in (1, 2)]
        return {k: float(np.mean([m[k] for m in runs])) for k in ("hand_speed", "still_fraction", "correlation")}

    draft, standard = measured(quality="draft"), measured(quality="standard")
    no_gain = measured(sampler="dpm-sde", steps=10)
    assert draft["correlation"] > standard["correlation"] - 0.05, (draft, standard)
    assert draft["still_fraction"] == pytest.approx(standard["still_fraction"], rel=0.1), (draft, standard)
    assert draft["hand_speed"] == pytest.approx(standard["hand_speed"], rel=0.15), (draft, standard)
    assert no_gain["hand_speed"] < draft["hand_speed"], (no_gain, draft)
