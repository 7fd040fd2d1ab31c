"""Long audio: motion for a whole clip, one M-frame window at a time.

Windows advance by M − overlap frames. Each is seeded with the N output frames
just before its start (the training convention: the seed is the motion right
before the window), the first with the data mean (zeros in normalised space).
The first `overlap` frames of a window are blended into the previous window's
last ones with a raised-cosine ramp, so seams do not jump. The last window
runs past the clip: its audio and text features are padded by repeating the
last frame (the tail of a clip is normally silence), or with the caller's
`audio_pad` / `text_pad` vectors (e.g. the features of silence), then trimmed.
Memory is bounded by one window: `iter_motion_features` yields finished frames
as it goes, `generate_motion_features` collects them into one array.

Defaults: mode "control" with one emotion (γ = 1: plain conditioning, one
network pass per step), sampler "dpm-sde" (DPM-Solver++(2M) SDE) with 20 steps (on a
Gaussian toy with the exact x0-predictor it lands as close to the data's mean
and spread as DDPM-1000, see tests/test_samplers.py; on the bundled model it
keeps the pauses and hand heights where the deterministic solvers drift, see
engine/diffusion/samplers.py and presets.py), overlap 8 frames, seed 0, device "auto".
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d, maximum_filter1d, uniform_filter1d

from ..errors import OpenHumanError
from ..motion.motion import Skeleton
from ..motion.pose import DIMS as POSE_DIMS
from . import hand_speed
from .cuda_graphs import WindowGraphs
from .device import pick_device
from .guidance import Conditions, condition_pair, guided_denoiser, holding_known, unconditional
from .precision import PRECISIONS, network_dtype
from .presets import DEFAULT_SAMPLER, DISTILLED_SAMPLER
from .samplers import SAMPLERS, GridDDIM, NoiseReadingGrid, make_sampler, sample

if TYPE_CHECKING:
    from .modelfile import LoadedModel

DEFAULT_OVERLAP = 8
# A Gaussian of one frame (50 ms) over the sampled features: the sampler leaves frame-to-frame jitter
# that triples the hands' jerk (on real speech 79 m/s³ against the capture's 38); one frame removes it
# and keeps the gestures (speed -6 %, speech-motion correlation unchanged; README, Real speech).
OUTPUT_SMOOTHING = 1.0
# Voice guidance (guidance.py) at full strength only while the voice speaks: in its pauses plain
# conditioning keeps the model's own rest (amplified there, the hands stayed 17 cm up, not 12).
SPEECH_BRIDGE = 4  # frames each side: gaps under 0.4 s are speech
SPEECH_RAMP = 6  # frames (0.3 s) from pause strength to speech strength
# While speaking, the strength follows the voice's loudness: guidance amplifies the motion the voice adds,
# so louder syllables get more of it. On real speech speech-motion r 0.364 -> 0.384 (stage 4) and 0.359 -> 0.386
# (half stage 4, half stage 6), pauses and emotions kept (README, Real speech).
LOUDNESS_FOLLOWING = 1.0
LOUDNESS_SPAN = 5  # frames (0.25 s) of level averaged
LOUDNESS_RANGE = (0.5, 1.5)  # of the speech strength's excess over 1
# A distilled model steps stochastically (DDPM's posterior at each step of its grid): its deterministic
# teacher (DDIM-64) holds the hands 40 % higher than the 50-step SDE sampler, and a student follows it (32-step
# student: hand height 0.337 m deterministic, 0.257 with eta 1; the default 0.253; README, Distillation).
DISTILLED_ETA = 1.0


class Progress(NamedTuple):
    """Where generation stands: window (0-based) of n_windows, step (1-based) of n_steps."""

    window: int
    n_windows: int
    step: int
    n_steps: int

    @property
    def fraction(self) -> float:
        return (self.window * self.n_steps + self.step) / (self.n_windows * self.n_steps)


def plan_windows(total: int, frames: int, overlap: int) -> list[int]:
    """Start frames of the windows covering `total` frames (the last may run past the end)."""
    if not 0 <= overlap < frames:
        raise ValueError(f"overlap must be in [0, {frames}), got {overlap}")
    if total <= 0:
        return []
    stride = frames - overlap
    n = 1 if total <= frames else 1 + -(-(total - frames) // stride)
    return [k * stride for k in range(n)]


def crossfade_ramp(overlap: int) -> np.ndarray:
    """Weights (overlap,) of the new window, rising from near 0 to near 1 (raised cosine)."""
    i = np.arange(1, overlap + 1, dtype=np.float32)
    return 0.5 - 0.5 * np.cos(np.pi * i / (overlap + 1))


def window_slice(feats: np.ndarray, start: int, frames: int, pad: np.ndarray | None = None) -> np.ndarray:
    """feats[start:start+frames], padded past the end with `pad` or the last frame repeated."""
    part = feats[start:start + frames]
    missing = frames - len(part)
    if missing <= 0:
        return part
    fill = feats[-1] if pad is None else pad
    return np.concatenate([part, np.broadcast_to(fill, (missing, feats.shape[1]))])


def _features(name: str, feats, dim: int) -> np.ndarray:
    arr = np.asarray(feats, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise OpenHumanError(f"{name} features must have shape (frames, {dim}), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise OpenHumanError(f"{name} features contain NaN or infinity")
    return arr


def _pad_vector(name: str, pad, dim: int) -> np.ndarray | None:
    if pad is None:
        return None
    arr = np.asarray(pad, dtype=np.float32)
    if arr.shape != (dim,):
        raise OpenHumanError(f"{name} must have shape ({dim},), got {arr.shape}")
    return arr


def _gamma(gamma, total: int):
    arr = np.asarray(gamma, dtype=np.float32)
    if arr.ndim == 0:
        return float(arr)
    if arr.shape != (total,):
        raise OpenHumanError(f"gamma must be a number or a curve of one value per frame ({total}), got {arr.shape}")
    return arr


def iter_motion_features(
    bundle: "LoadedModel",
    audio_feats,
    text_feats,
    emotion_a: str | int,
    emotion_b: str | int | None = None,
    *,
    gamma=1.0,
    strength: float = 1.0,
    sampler: str = DEFAULT_SAMPLER,
    steps: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: Callable[[Progress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    overlap: int = DEFAULT_OVERLAP,
    audio_pad=None,
    text_pad=None,
    known=None,
    known_mask=None,
    first_seed=None,
    voice_guidance: bool | None = None,
    cuda_graphs: bool = True,
    precision: str = "auto",
    frozen_graphs: bool = True,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first_frame, frames (k, D)) de-normalised, in order, covering all F frames.

    Parameters as in `generate_motion_features`. The bundle's model is moved to
    `device` and put in eval mode.
    """
    cfg = bundle.config
    M, N, D = cfg.frames, cfg.seed_frames, cfg.pose_dim
    audio = _features("audio", audio_feats, cfg.audio_dim)
    text = _features("text", text_feats, cfg.text_dim)
    if len(text) != len(audio):
        raise OpenHumanError(f"audio has {len(audio)} frames but text has {len(text)}; they must match")
    total = len(audio)
    audio_pad = _pad_vector("audio_pad", audio_pad, cfg.audio_dim)
    text_pad = _pad_vector("text_pad", text_pad, cfg.text_dim)
    gamma = _gamma(gamma, total)
    strength = float(strength)
    if not np.isfinite(strength) or strength < 0:
        raise OpenHumanError(f"guidance strength (intensity) must be a number of at least 0, got {strength}")
    distilled = bundle.metadata.get("distilled")
    if distilled:
        _check_distilled_settings(distilled, sampler, steps, emotion_b, gamma, strength, voice_guidance)
    if distilled and not distilled.get("guidance_kept"):  # the guidance is in the weights: one pass per step
        strength, silent_voice = 1.0, False
    else:
        silent_voice = voice_guides(bundle) if voice_guidance is None else bool(voice_guidance)
    if emotion_b is None:  # control: c2 is already unconditional, so strength is a factor on γ
        if silent_voice and strength != 1.0:  # full strength while speaking, plain conditioning in pauses
            strength = speech_gated_strength(audio, bundle.metadata["audio_features"], strength)
        gamma, strength = gamma * strength, 1.0
    if sampler not in SAMPLERS:
        raise OpenHumanError(f"unknown sampler {sampler!r}; choose one of {', '.join(sorted(SAMPLERS))}")
    if not 0 <= overlap <= M - N:
        raise OpenHumanError(f"overlap must be between 0 and {M - N} frames for this model, got {overlap}")
    reads_noise = bool(bundle.model.config.noise_input)
    if reads_noise:
        if not distilled or not distilled.get("injections"):
            raise OpenHumanError("this model's network reads its steps' noise but its file has no noise injections; "
                                 "it is damaged or not made by training/distill.py")
        smp = NoiseReadingGrid(distilled["timesteps"], distilled["injections"])
    elif distilled and "timesteps" in distilled:
        smp = GridDDIM(eta=float(distilled.get("eta", DISTILLED_ETA)), timesteps=distilled["timesteps"])
    elif sampler == DISTILLED_SAMPLER and distilled:
        raise OpenHumanError("this model carries its guidance in its weights but keeps every timestep: it samples "
                             "with the other samplers, not 'distilled'")
    elif sampler == DISTILLED_SAMPLER:
        raise OpenHumanError("the distilled sampler needs a distilled model file (made by training/distill.py); "
                             "this model samples with the other samplers")
    else:
        smp = make_sampler(sampler)
    n_steps = smp.default_steps if steps is None else int(steps)
    if not 1 <= n_steps <= smp.schedule.steps:
        raise OpenHumanError(f"steps must be between 1 and {smp.schedule.steps}, got {n_steps}")
    e1 = bundle.emotion_index(emotion_a)
    e2 = None if emotion_b is None else bundle.emotion_index(emotion_b)

    dev = pick_device(device)
    if precision not in PRECISIONS:
        raise OpenHumanError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    # On a CPU the network runs as frozen graphs (frozen.py); on CUDA a window's loop is one graph (cuda_graphs.py).
    model = bundle.network(dev, network_dtype(precision, dev), frozen=frozen_graphs and dev.type == "cpu")
    graphs = WindowGraphs(model, smp, n_steps) if cuda_graphs and dev.type == "cuda" and not reads_noise else None
    generator = torch.Generator("cpu").manual_seed(int(seed))  # CPU noise: same draws on any device
    starts = plan_windows(total, M, overlap)
    ramp = crossfade_ramp(overlap)[:, None]
    mean, std = np.asarray(bundle.mean, np.float32), np.asarray(bundle.std, np.float32)
    seed_frames = np.zeros((N, D), np.float32)
    if first_seed is not None:
        seed_frames = (_features("first_seed", first_seed, D)[-N:] - mean) / std
        if len(seed_frames) < N:  # a short lead-in: its first frame held before it
            seed_frames = np.concatenate([np.repeat(seed_frames[:1], N - len(seed_frames), 0), seed_frames])
    known_n, mask = _known(known, known_mask, total, D, mean, std)
    prev = None

    def as_tensor(a, dtype=torch.float32):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=dev)[None]

    for k, start in enumerate(starts):
        cond = Conditions(
            audio=as_tensor(window_slice(audio, start, M, audio_pad)),
            text=as_tensor(window_slice(text, start, M, text_pad)),
            seed=as_tensor(seed_frames),
            seed_present=torch.ones(1, dtype=torch.bool, device=dev),
            emotion=torch.tensor([e1], device=dev),
        )
        c1, c2 = condition_pair(cond, cfg.n_emotions, None if e2 is None else torch.tensor(e2, device=dev),
                                silent_voice=silent_voice)
        g = gamma if isinstance(gamma, float) else as_tensor(window_slice(gamma[:, None], start, M)[:, 0])
        report = None if progress is None else (lambda i, n, k=k: progress(Progress(k, len(starts), i, n)))
        c0 = unconditional(cond, cfg.n_emotions, silent_voice) if strength != 1.0 else None
        held = None if mask is None else window_slice(mask[:, None], start, M)[:, 0]
        kept = None if held is None else window_slice(known_n, start, M)
        if held is not None and held.all():  # nothing to make here: the known frames as they are
            out = kept.copy()  # a copy: the crossfade below writes into it
        else:
            holding = (as_tensor(kept), as_tensor(held[:, None])) if held is not None and held.any() else None
            if graphs is not None:
                out = graphs.sample((1, M, D), c1, c2, g, strength, c0, generator, *(holding or (None, None)),
                                    progress=report, cancel=cancel)
            else:
                denoise = guided_denoiser(model, c1, c2, g, strength, c0)
                denoise = holding_known(denoise, *holding) if holding else denoise
                out = sample(denoise, (1, M, D), smp, n_steps, generator, progress=report, cancel=cancel, device=dev)
            out = out[0].float().cpu().numpy()
        if prev is not None and overlap:
            out[:overlap] = ramp * out[:overlap] + (1 - ramp) * prev[M - overlap:]
        if held is not None:
            out[held] = kept[held]
        end = starts[k + 1] if k + 1 < len(starts) else total
        yield start, out[:end - start] * std + mean
        seed_frames = out[end - start - N:end - start] if k + 1 < len(starts) else seed_frames
        prev = out


def _check_distilled_settings(distilled: dict, sampler, steps, emotion_b, gamma, strength, voice_guidance) -> None:
    """A distilled model makes the default sampling only: its guidance strength, in control mode γ = 1 (a
    blend of two emotions works at any γ: the guidance is linear in them), and a step-distilled one its grid
    (one whose guidance alone is distilled keeps every sampler and step count). One that keeps its guidance
    outside its weights (guidance_kept) is guided as the full model is: only its grid is fixed."""
    baked = float(distilled["intensity"])
    wrong = []
    grid = distilled.get("timesteps")
    if grid is not None and (sampler not in (DISTILLED_SAMPLER, DEFAULT_SAMPLER) or steps not in (None, len(grid))):
        wrong.append(f"sampler {sampler} with {steps} steps")
    if not distilled.get("guidance_kept"):
        if abs(strength - baked) > 1e-6:
            wrong.append(f"intensity {strength:g} (it carries {baked:g})")
        if emotion_b is None and not (np.ndim(gamma) == 0 and float(gamma) == 1.0):
            wrong.append("a γ other than 1 with one emotion")
        if voice_guidance is False:
            wrong.append("no voice guidance")
    if wrong:
        raise OpenHumanError(f"this distilled model samples the default settings only, not {', '.join(wrong)}; "
                             "use the full model for other settings")


def voice_guides(bundle) -> bool:
    """Whether the unconditional branch hears silence (see guidance.py): for models whose audio features
    read all zeros as a pause (version 2 and later); earlier features had absolute levels."""
    return int(bundle.metadata.get("audio_features", {}).get("version", 1)) >= 2


def speaking_weight(audio: np.ndarray, spec: dict) -> np.ndarray:
    """Per frame, 1 while the voice speaks and 0 in its pauses, from version-2 audio features (their
    gated level is above zero only in speech): gaps under 0.4 s bridged, 0.3 s ramps between."""
    from ..conditions.audio_features import part_columns

    level = np.asarray(audio)[:, part_columns(spec, "rms_db")][:, 0]
    speaking = maximum_filter1d((level > 0).astype(np.float64), 2 * SPEECH_BRIDGE + 1)
    return uniform_filter1d(speaking, SPEECH_RAMP, mode="nearest").astype(np.float32)


def loudness_weight(audio: np.ndarray, spec: dict, follow: float = LOUDNESS_FOLLOWING) -> np.ndarray:
    """Per frame, how loud the voice is against its own median while speaking: 1 + follow·(level/median − 1)
    from the gated level (dB above the clip's speech level − 30) over 0.25 s, held between 0.5 and 1.5."""
    from ..conditions.audio_features import part_columns

    level = uniform_filter1d(np.asarray(audio, np.float64)[:, part_columns(spec, "rms_db")][:, 0], LOUDNESS_SPAN,
                             mode="nearest")
    speaking = level > 0
    if follow == 0 or not speaking.any():
        return np.ones(len(level), np.float32)
    relative = level / max(float(np.median(level[speaking])), 1e-6)
    return np.clip(1.0 + follow * (relative - 1.0), *LOUDNESS_RANGE).astype(np.float32)


def speech_gated_strength(audio: np.ndarray, spec: dict, strength: float,
                          follow: float = LOUDNESS_FOLLOWING) -> np.ndarray:
    """Per frame, the guidance strength of voice guidance: ``strength`` while the voice speaks, raised
    on its louder syllables and lowered on its softer ones (``follow``), 1 (plain conditioning) in its pauses."""
    weight = speaking_weight(audio, spec) * loudness_weight(audio, spec, follow)
    return 1.0 + (strength - 1.0) * weight


def smooth_features(features: np.ndarray, sigma: float = OUTPUT_SMOOTHING, keep=None, kept=None) -> np.ndarray:
    """The sampled motion features low-passed over time (a Gaussian of ``sigma`` frames); frames the
    mask ``keep`` holds are put back exactly as ``kept``."""
    if sigma <= 0 or len(features) < 2:
        return features
    out = gaussian_filter1d(np.asarray(features, np.float64), sigma, axis=0, mode="nearest").astype(np.float32)
    if keep is not None:
        out[keep] = np.asarray(kept, np.float32)[keep]
    return out


def _known(known, known_mask, total: int, dim: int, mean, std):
    """Known frames normalised (F, D) and their mask (F,) bool, or (None, None)."""
    if known is None and known_mask is None:
        return None, None
    if known is None or known_mask is None:
        raise OpenHumanError("known frames need both the frames and their mask")
    frames = _features("known", known, dim)
    held = np.asarray(known_mask, bool)
    if len(frames) != total or held.shape != (total,):
        raise OpenHumanError(f"known frames must cover the clip's {total} frames, got {len(frames)} frames and a "
                             f"mask of shape {held.shape}")
    return ((frames - mean) / std).astype(np.float32), held


def generate_motion_features(
    bundle: "LoadedModel",
    audio_feats,
    text_feats,
    emotion_a: str | int,
    emotion_b: str | int | None = None,
    **options,
) -> np.ndarray:
    """Motion features (F, D), de-normalised with the bundle's mean/std, for F frames of conditions.

    audio_feats (F, Da) and text_feats (F, Dt) are per-frame features at the
    model's fps. emotion_a/emotion_b: labels or indices. Options (defaults):
    gamma=1.0 (number or per-frame curve (F,); one emotion: 'control', two: 'interpolate', see
    guidance.py), strength=1.0 (guidance strength, the add-on's
    intensity: in control mode a factor on γ, in interpolate mode classifier-free
    guidance of the blend, see guidance.py), sampler='dpm-sde' ('ddpm'|'ddim'|'dpm'|'dpm-sde'),
    steps=None (the sampler's default: quality.DEFAULT_STEPS), seed=0, device='auto',
    progress=None (called with Progress after each step), cancel=None (a
    callable; True stops with samplers.Cancelled), overlap=8, audio_pad=None,
    text_pad=None, known=None and known_mask=None (frames (F, D) de-normalised and a
    mask (F,): masked frames are kept as they are and the rest is drawn to join them),
    first_seed=None (frames (k, D) that come just before the clip: it continues them),
    voice_guidance=None (the unconditional branch hears silence; None: when the model's features allow,
    see guidance.py), cuda_graphs=True (on CUDA, replay each window's sampling from a CUDA graph, see
    cuda_graphs.py; False: launch the passes one by one), precision='auto' (the network's arithmetic on a CPU,
    see precision.py), frozen_graphs=True (on a CPU, the network as frozen TorchScript graphs, see frozen.py;
    False: eager, where hooks see its calls), smoothing=OUTPUT_SMOOTHING (frames of Gaussian
    low-pass over the result; 0: none), hand_speed_limit=hand_speed.HAND_SPEED_LIMIT (m/s: a stronger low-pass
    around frames where a hand moves faster, see hand_speed.py; 0: none).
    """
    smoothing = float(options.pop("smoothing", OUTPUT_SMOOTHING))
    speed_limit = float(options.pop("hand_speed_limit", hand_speed.HAND_SPEED_LIMIT))
    audio = np.asarray(audio_feats)
    result = np.empty((len(audio), bundle.config.pose_dim), np.float32)
    for start, frames in iter_motion_features(bundle, audio, text_feats, emotion_a, emotion_b, **options):
        result[start:start + len(frames)] = frames
    keep = options.get("known_mask")
    keep = None if keep is None else np.asarray(keep, bool)
    result = smooth_features(result, smoothing, keep, options.get("known"))
    if speed_limit <= 0 or result.shape[1] != POSE_DIMS or "skeleton" not in bundle.metadata:
        return result  # no hands to limit: features other than the 1141-dim pose (toy models in tests)
    skeleton = Skeleton.from_dict(bundle.metadata["skeleton"])
    return hand_speed.limit_hand_speed(result, skeleton, bundle.fps, speed_limit, keep)
