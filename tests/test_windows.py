import tracemalloc

import numpy as np
import pytest
import torch

from openhuman.engine.diffusion.device import pick_device

from openhuman.engine.diffusion.denoiser import Denoiser, DenoiserConfig
from openhuman.engine.errors import OpenHumanError
from openhuman.engine.diffusion.modelfile import LoadedModel
from openhuman.engine.diffusion.samplers import Cancelled
from openhuman.engine.diffusion.windowed_sampling import (
    Progress,
    crossfade_ramp,
    generate_motion_features,
    iter_motion_features,
    plan_windows,
    smooth_features,
    speaking_weight,
    speech_gated_strength,
    voice_guides,
    window_slice,
)
from helpers import tiny_config


pytestmark = pytest.mark.usefixtures("one_thread")


CFG = DenoiserConfig(**tiny_config(pose_dim=7, frames=80, seed_frames=8, local_window=3))
FAST = dict(sampler="dpm", steps=3, device="cpu")


def bundle(mean=0.0, std=1.0):
    torch.manual_seed(0)
    model = Denoiser(CFG).eval()
    meta = {"emotions": ["Happy", "Sad", "Neutral"], "fps": 20.0}
    D = CFG.pose_dim
    return LoadedModel(model, CFG, meta, np.full(D, mean, np.float32), np.full(D, std, np.float32))


def features(frames, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((frames, CFG.audio_dim), dtype=np.float32),
            rng.standard_normal((frames, CFG.text_dim), dtype=np.float32))


def test_plan_covers_every_frame():
    assert plan_windows(0, 80, 8) == []
    assert plan_windows(10, 80, 8) == [0]
    assert plan_windows(80, 80, 8) == [0]
    assert plan_windows(81, 80, 8) == [0, 72]
    starts = plan_windows(1000, 80, 8)
    assert starts[-1] + 80 >= 1000 > starts[-2] + 80
    with pytest.raises(ValueError):
        plan_windows(100, 80, 80)


def test_window_slice_pads_past_the_end():
    feats = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_array_equal(window_slice(feats, 4, 4), [[8, 9], [10, 11], [10, 11], [10, 11]])
    np.testing.assert_array_equal(window_slice(feats, 4, 3, np.array([-1, -1])), [[8, 9], [10, 11], [-1, -1]])
    np.testing.assert_array_equal(window_slice(feats, 0, 3), feats[:3])


def test_crossfade_ramp_is_a_smooth_rise():
    ramp = crossfade_ramp(8)
    assert ramp.shape == (8,) and 0 < ramp[0] < 0.1 and 0.9 < ramp[-1] < 1
    assert (np.diff(ramp) > 0).all()
    np.testing.assert_allclose(ramp + ramp[::-1], 1.0, atol=1e-6)  # symmetric: the two weights mirror
    # A jump of 1 between two windows is spread so that no frame-to-frame step exceeds π/2/(o+1).
    assert np.diff(np.concatenate([[0.0], ramp, [1.0]])).max() <= np.pi / 2 / 9 + 1e-6


@pytest.mark.parametrize("frames", [10, 80, 81, 250, 1000])
def test_output_has_exactly_the_clip_length(frames):
    audio, text = features(frames)
    out = generate_motion_features(bundle(), audio, text, "Happy", **FAST)
    assert out.shape == (frames, CFG.pose_dim) and out.dtype == np.float32
    assert np.isfinite(out).all()


def test_thirty_minutes_stream_in_bounded_memory():
    cfg = DenoiserConfig(**{**CFG.to_dict(), "pose_dim": 1141})
    torch.manual_seed(0)
    big = LoadedModel(Denoiser(cfg).eval(), cfg, {"emotions": ["A", "B", "C"], "fps": 20.0},
                      np.zeros(1141, np.float32), np.ones(1141, np.float32))
    frames = 30 * 60 * 20
    audio, text = np.zeros((frames, cfg.audio_dim), np.float32), np.zeros((frames, cfg.text_dim), np.float32)
    tracemalloc.start()
    covered = 0
    for start, chunk in iter_motion_features(big, audio, text, "A", sampler="ddim", steps=1, device="cpu"):
        assert start == covered and chunk.shape[1] == 1141 and len(chunk) <= 80
        covered += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert covered == frames
    assert peak < 20e6  # the whole output would be 164 MB


def test_empty_clip():
    audio, text = features(0)
    assert generate_motion_features(bundle(), audio, text, "Happy", **FAST).shape == (0, CFG.pose_dim)


def test_same_seed_same_motion_and_other_seed_other_motion():
    audio, text = features(200)
    a = generate_motion_features(bundle(), audio, text, "Sad", seed=3, **FAST)
    b = generate_motion_features(bundle(), audio, text, "Sad", seed=3, **FAST)
    c = generate_motion_features(bundle(), audio, text, "Sad", seed=4, **FAST)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_samples_what_the_cpu_samples():
    audio, text = features(200)  # the noise is drawn on the CPU, so both devices start from the same draws
    cpu = generate_motion_features(bundle(), audio, text, "Sad", seed=3, **FAST)
    gpu = generate_motion_features(bundle(), audio, text, "Sad", seed=3, **dict(FAST, device="cuda"))
    assert gpu.shape == cpu.shape
    np.testing.assert_allclose(gpu, cpu, atol=1e-2)


def test_output_is_denormalised_with_the_bundle_statistics():
    audio, text = features(100)
    plain = generate_motion_features(bundle(), audio, text, 0, **FAST)
    scaled = generate_motion_features(bundle(mean=5.0, std=2.0), audio, text, 0, **FAST)
    np.testing.assert_allclose(scaled, 5.0 + 2.0 * plain, rtol=1e-5, atol=1e-5)


def run_recording(frames, overlap, **options):
    """Generate while recording, per window, the seed the network saw and its final x̂0 (γ = 1: one branch);
    the network runs eagerly, where a hook sees its calls."""
    b = bundle()
    calls = []
    handle = b.model.register_forward_hook(lambda m, args, out: calls.append((args[4].clone(), out.clone())))
    audio, text = features(frames)
    chunks = list(iter_motion_features(b, audio, text, "Happy", overlap=overlap, frozen_graphs=False, **FAST, **options))
    handle.remove()
    steps = FAST["steps"]
    seeds = [calls[i][0][0].numpy() for i in range(0, len(calls), steps)]
    raws = [calls[i + steps - 1][1][0].numpy() for i in range(0, len(calls), steps)]
    out = np.concatenate([c for _, c in chunks])
    return chunks, seeds, raws, out


def test_each_window_is_seeded_with_the_frames_just_before_it():
    chunks, seeds, _, out = run_recording(300, overlap=8)
    starts = plan_windows(300, 80, 8)
    assert [s for s, _ in chunks] == starts
    np.testing.assert_array_equal(seeds[0], 0.0)  # the data mean, in normalised space
    for k, start in enumerate(starts[1:], 1):
        np.testing.assert_allclose(seeds[k], out[start - 8:start], atol=1e-6)


def test_seams_are_raised_cosine_crossfades_of_the_windows():
    _, _, raws, out = run_recording(300, overlap=8)
    starts = plan_windows(300, 80, 8)
    ramp = crossfade_ramp(8)[:, None]
    np.testing.assert_allclose(out[:72], raws[0][:72], atol=1e-6)
    for k, start in enumerate(starts[1:], 1):
        blended = ramp * raws[k][:8] + (1 - ramp) * raws[k - 1][72:]
        np.testing.assert_allclose(out[start:start + 8], blended, atol=1e-5)
        end = min(start + 72, 300)
        np.testing.assert_allclose(out[start + 8:end], raws[k][8:end - start], atol=1e-6)


def test_interpolation_endpoints_are_the_single_emotions():
    audio, text = features(120)
    b = bundle()
    happy = generate_motion_features(b, audio, text, "Happy", **FAST)
    sad = generate_motion_features(b, audio, text, "Sad", **FAST)
    np.testing.assert_array_equal(generate_motion_features(b, audio, text, "Happy", "Sad", gamma=1.0, **FAST), happy)
    np.testing.assert_array_equal(generate_motion_features(b, audio, text, "Happy", "Sad", gamma=0.0, **FAST), sad)
    mid = generate_motion_features(b, audio, text, "Happy", "Sad", gamma=0.5, **FAST)
    assert not np.allclose(mid, happy) and not np.allclose(mid, sad)


def test_gamma_curve_per_frame():
    audio, text = features(150)
    b = bundle()
    curve = np.linspace(0.0, 2.0, 150)
    out = generate_motion_features(b, audio, text, "Happy", gamma=curve, **FAST)
    assert out.shape == (150, CFG.pose_dim)
    assert not np.allclose(out, generate_motion_features(b, audio, text, "Happy", **FAST))
    with pytest.raises(OpenHumanError, match="gamma"):
        generate_motion_features(b, audio, text, "Happy", gamma=np.ones(149), **FAST)


def test_progress_is_monotonic_and_complete():
    audio, text = features(250)
    reports = []
    generate_motion_features(bundle(), audio, text, "Neutral", progress=reports.append, **FAST)
    n_windows = len(plan_windows(250, 80, 8))
    assert len(reports) == n_windows * FAST["steps"]
    assert all(isinstance(r, Progress) and r.n_windows == n_windows and r.n_steps == 3 for r in reports)
    fractions = [r.fraction for r in reports]
    assert all(b > a for a, b in zip(fractions, fractions[1:])) and fractions[-1] == 1.0
    assert [r.window for r in reports] == sorted(r.window for r in reports)


def test_cancel_mid_run():
    audio, text = features(400)
    reports = []
    with pytest.raises(Cancelled):
        generate_motion_features(bundle(), audio, text, "Happy", progress=reports.append,
                                 cancel=lambda: len(reports) >= 7, **FAST)
    assert len(reports) == 7 and reports[-1].window == 2


@pytest.mark.parametrize("options, message", [
    (dict(sampler="euler"), "sampler"),
    (dict(steps=0), "steps"),
    (dict(gamma=np.ones(21)), "gamma"),
    (dict(gamma=np.ones((20, 1))), "gamma"),
    (dict(overlap=79), "overlap"),
    (dict(device="tpu"), "device"),
])
def test_bad_options_are_refused(options, message):
    audio, text = features(20)
    with pytest.raises(OpenHumanError, match=message):
        generate_motion_features(bundle(), audio, text, "Happy", **{**FAST, **options})


def test_bad_inputs_are_refused():
    audio, text = features(20)
    with pytest.raises(OpenHumanError, match="Happy, Sad, Neutral"):
        generate_motion_features(bundle(), audio, text, "Angry", **FAST)
    with pytest.raises(OpenHumanError, match="audio"):
        generate_motion_features(bundle(), audio[:, :2], text, "Happy", **FAST)
    with pytest.raises(OpenHumanError, match="must match"):
        generate_motion_features(bundle(), audio, text[:10], "Happy", **FAST)
    with pytest.raises(OpenHumanError, match="audio_pad"):
        generate_motion_features(bundle(), audio, text, "Happy", audio_pad=np.zeros(3), **FAST)


def test_pick_device():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(OpenHumanError, match="no CUDA"):
            pick_device("cuda")


def test_strength_is_a_factor_on_gamma_in_control_mode_and_guides_a_blend():
    b = bundle()
    audio, text = features(100)
    doubled = generate_motion_features(b, audio, text, 1, gamma=1.0, strength=2.0, **FAST)
    assert np.allclose(doubled, generate_motion_features(b, audio, text, 1, gamma=2.0, **FAST), atol=1e-5)
    plain = generate_motion_features(b, audio, text, 1, 2, gamma=0.5, **FAST)
    guided = generate_motion_features(b, audio, text, 1, 2, gamma=0.5, strength=2.0, **FAST)
    assert not np.allclose(plain, guided, atol=1e-3)
    with pytest.raises(OpenHumanError, match="strength"):
        generate_motion_features(b, audio, text, 1, 2, gamma=0.5, strength=-1.0, **FAST)


def test_voice_guidance_lets_the_unconditional_branch_hear_silence():
    speaking = bundle()
    speaking.metadata["audio_features"] = {"version": 2, "parts": [["log_mel", 1], ["mfcc", 1], ["rms_db", 1],
                                                                    ["onset", 1]]}  # version 2: zeros are a pause
    assert voice_guides(speaking) and not voice_guides(bundle())
    heard = []
    handle = speaking.model.audio_in.register_forward_hook(lambda m, args, out: heard.append(args[0].clone()))
    audio, text = features(100)
    guided = generate_motion_features(speaking, audio, text, "Happy", strength=2.0, frozen_graphs=False, **FAST)
    handle.remove()
    assert heard and all(a.shape[0] == 2 and a[1].abs().max() == 0 and a[0].abs().max() > 0 for a in heard)
    plain = generate_motion_features(speaking, audio, text, "Happy", strength=2.0, voice_guidance=False, **FAST)
    assert not np.allclose(guided, plain)


def test_output_smoothing_removes_jitter_and_keeps_known_frames():
    audio, text = features(200)
    raw = generate_motion_features(bundle(), audio, text, "Sad", seed=3, smoothing=0, **FAST)
    smooth = generate_motion_features(bundle(), audio, text, "Sad", seed=3, **FAST)
    jitter = lambda x: np.abs(np.diff(x, 3, axis=0)).mean()  # noqa: E731
    assert jitter(smooth) < 0.5 * jitter(raw)
    np.testing.assert_allclose(smooth, smooth_features(raw), atol=1e-6)
    known, mask = np.full_like(raw, 0.25), np.arange(200) < 60
    held = generate_motion_features(bundle(), audio, text, "Sad", seed=3, known=known, known_mask=mask, **FAST)
    assert np.array_equal(held[:60], known[:60])


def test_voice_guidance_is_full_strength_while_speaking_and_plain_in_pauses():
    spec = {"version": 2, "parts": [["log_mel", 1], ["mfcc", 1], ["rms_db", 1], ["onset", 1]]}
    audio = np.zeros((200, 4), np.float32)
    audio[20:80, 2] = 10.0  # speech, a 0.3 s gap (bridged), speech, a long pause
    audio[86:120, 2] = 10.0
    weight = speaking_weight(audio, spec)
    assert weight[30:110].min() == 1.0 and weight[150:].max() == 0.0 and weight[:10].max() == 0.0
    assert 0.0 < weight[125] < 1.0  # a ramp, not a step


def test_voice_guidance_follows_the_loudness_while_speaking():
    spec = {"version": 2, "parts": [["log_mel", 1], ["mfcc", 1], ["rms_db", 1], ["onset", 1]]}
    audio = np.zeros((200, 4), np.float32)
    audio[20:60, 2] = 10.0  # soft speech, loud speech, a long pause
    audio[60:100, 2] = 20.0
    strength = speech_gated_strength(audio, spec, 2.5)
    assert strength[30:50].max() < 2.5 < strength[70:90].min()  # softer syllables less, louder more
    assert 1.0 < strength[30:50].min() and strength[70:90].max() <= 1.0 + 1.5 * 1.5 + 1e-6
    assert np.allclose(strength[150:], 1.0)  # plain conditioning in the pause
    flat = speech_gated_strength(audio, spec, 2.5, follow=0.0)
    assert np.allclose(flat[30:90], 2.5)
