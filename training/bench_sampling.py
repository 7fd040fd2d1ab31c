"""Benchmark: seconds per minute of audio for the reference DDPM-1000 and the default fast sampler."""
from __future__ import annotations

import resource
import time

import numpy as np
import torch

from ..engine.conditions.audio_features import audio_feature_spec
from ..engine.diffusion.cuda_graphs import WindowGraphs
from ..engine.diffusion.denoiser import Denoiser, DenoiserConfig
from ..engine.diffusion.guidance import Conditions, condition_pair
from ..engine.diffusion.modelfile import LoadedModel, load_model_file
from ..engine.constants import BUNDLED_MODEL, DEFAULT_EMOTIONS
from ..engine.motion.pose import DIMS
from ..engine.diffusion.precision import network_dtype
from ..engine.diffusion.presets import DEFAULT_INTENSITY, DEFAULT_SAMPLER, DEFAULT_STEPS, QUALITY
from ..engine.diffusion.samplers import make_sampler
from ..engine.conditions.text_features import text_feature_spec
from ..engine.diffusion.windowed_sampling import DEFAULT_OVERLAP, generate_motion_features, plan_windows


def _bundle(model_path) -> tuple[LoadedModel, str]:
    path = model_path or (BUNDLED_MODEL if BUNDLED_MODEL.exists() else None)
    if path:
        return load_model_file(path), str(path)
    cfg = DenoiserConfig(pose_dim=DIMS, audio_dim=audio_feature_spec()["dims"], text_dim=text_feature_spec()["dims"],
                         frames=80, seed_frames=8, n_emotions=len(DEFAULT_EMOTIONS))
    torch.manual_seed(0)
    model = Denoiser(cfg).eval()
    meta = {"emotions": list(DEFAULT_EMOTIONS), "fps": 20.0}
    return LoadedModel(model, cfg, meta, np.zeros(DIMS, np.float32), np.ones(DIMS, np.float32)), "fresh default-size model"


CPU_REPEATS = 3


def _time(bundle, frames, device, sampler, steps, emotion_b=None, voice_guidance=None, cuda_graphs=True,
          precision="auto", frozen_graphs=True) -> float:
    return _sample(bundle, frames, device, sampler, steps, emotion_b, voice_guidance, cuda_graphs, precision,
                   frozen_graphs)[0]


def _sample(bundle, frames, device, sampler, steps, emotion_b=None, voice_guidance=None, cuda_graphs=True,
            precision="auto", frozen_graphs=True):
    """(seconds, motion features) of one default-intensity run on features like speech's."""
    rng = np.random.default_rng(0)
    audio = rng.normal(size=(frames, bundle.config.audio_dim)).astype(np.float32)
    text = np.zeros((frames, bundle.config.text_dim), np.float32)
    start = time.perf_counter()
    motion = generate_motion_features(bundle, audio, text, bundle.emotions[0], emotion_b,
                                      gamma=0.5 if emotion_b else 1.0, strength=DEFAULT_INTENSITY, sampler=sampler,
                                      steps=steps, seed=0, device=device, voice_guidance=voice_guidance,
                                      cuda_graphs=cuda_graphs, precision=precision, frozen_graphs=frozen_graphs)
    if device != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter() - start, motion


def _cuda_graphs_side_by_side(bundle, frames) -> dict:
    """The default sampler on CUDA with the passes launched one by one and each window replayed from a
    graph: times, how far apart the results are (the same arithmetic: float rounding only), a window
    alone (capture and one replay) and a replay alone (what a window costs once captured)."""
    default = (DEFAULT_SAMPLER, DEFAULT_STEPS[DEFAULT_SAMPLER])
    window = bundle.config.frames
    _sample(bundle, window, "cuda", *default)  # CUDA's own start-up (context, kernels) untimed
    _sample(bundle, window, "cuda", *default, cuda_graphs=False)
    plain_s, plain = _sample(bundle, frames, "cuda", *default, cuda_graphs=False)
    graphs_s, graphed = _sample(bundle, frames, "cuda", *default)
    one_window_s = _sample(bundle, window, "cuda", *default)[0]
    seconds = frames / bundle.fps
    windows = len(plan_windows(frames, window, DEFAULT_OVERLAP))
    return {"windows": windows, "steps_per_window": default[1],
            "plain_passes_s": plain_s, "plain_passes_realtime_factor": seconds / plain_s,
            "cuda_graphs_s": graphs_s, "cuda_graphs_realtime_factor": seconds / graphs_s,
            "max_abs_difference": float(np.abs(graphed - plain).max()),
            "one_window_with_capture_s": one_window_s, "replay_ms_per_window": 1000 * _replay_s(bundle, *default)}


def _replay_s(bundle, sampler: str, steps: int, repeats: int = 20) -> float:
    """Seconds a window takes once its graph is captured: its inputs copied in, the replay, the result out."""
    cfg, dev = bundle.config, torch.device("cuda")
    cond = Conditions(audio=torch.zeros(1, cfg.frames, cfg.audio_dim, device=dev),
                      text=torch.zeros(1, cfg.frames, cfg.text_dim, device=dev),
                      seed=torch.zeros(1, cfg.seed_frames, cfg.pose_dim, device=dev),
                      seed_present=torch.ones(1, dtype=torch.bool, device=dev),
                      emotion=torch.zeros(1, dtype=torch.long, device=dev))
    c1, c2 = condition_pair(cond, cfg.n_emotions, silent_voice=True)
    gamma = torch.full((1, cfg.frames), DEFAULT_INTENSITY, device=dev)
    graphs = WindowGraphs(bundle.model.to(dev).eval(), make_sampler(sampler), steps)
    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        graphs.sample((1, cfg.frames, cfg.pose_dim), c1, c2, gamma, 1.0, None, generator)
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeats):
            graphs.sample((1, cfg.frames, cfg.pose_dim), c1, c2, gamma, 1.0, None, generator).cpu()
    return (time.perf_counter() - start) / repeats


# name -> (precision, frozen graphs): the default; its arithmetic in float32; float32 run op by op (as until 2026-12-06)
CPU_VARIANTS = {"auto_precision": ("auto", True), "float32": ("float32", True), "float32_eager": ("float32", False)}


def _cpu_variants_side_by_side(bundle, frames, default: str, repeats: int = CPU_REPEATS) -> dict:
    """The default sampling as it runs (the precision "auto" picks, frozen graphs), in float32, and in float32
    op by op, run in turns and the median of each kept: a shared machine's speed drifts by a third in a minute."""
    seconds = frames / bundle.fps
    runs = {name: [] for name in CPU_VARIANTS}
    for _ in range(repeats):
        for name, (precision, frozen) in CPU_VARIANTS.items():
            runs[name].append(_time(bundle, frames, "cpu", DEFAULT_SAMPLER, DEFAULT_STEPS[DEFAULT_SAMPLER],
                                    precision=precision, frozen_graphs=frozen))
    out = {"auto_precision": str(network_dtype("auto", torch.device("cpu"))).removeprefix("torch.")}
    for name, times in runs.items():
        median = float(np.median(times))
        out.update({f"{default}_{name}_runs_s": times, f"{default}_{name}_median_s": median,
                    f"{default}_{name}_realtime_factor": seconds / median})
    for name in ("float32", "float32_eager"):
        out[f"{name}_over_default"] = out[f"{default}_{name}_median_s"] / out[f"{default}_auto_precision_median_s"]
    return out


def benchmark_sampling(model_path=None, seconds: float = 60.0, reference: bool = False) -> dict:
    bundle, name = _bundle(model_path)
    frames = int(seconds * bundle.fps)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    out = {"model": name, "audio_seconds": seconds, "threads": torch.get_num_threads(),
           "cuda_device": torch.cuda.get_device_name(0) if "cuda" in devices else None,
           "intensity": DEFAULT_INTENSITY, "devices": {}}
    for device in devices:
        bundle.model.to(device)
        r = {}
        if device == "cuda":
            r["cuda_graphs_side_by_side"] = _cuda_graphs_side_by_side(bundle, frames)
        else:  # untimed: the bfloat16 copy, the frozen graphs and oneDNN's kernels are made on first use
            for precision, frozen in CPU_VARIANTS.values():
                _sample(bundle, bundle.config.frames, device, DEFAULT_SAMPLER, 2, precision=precision,
                        frozen_graphs=frozen)
        # the default, the Draft preset's steps (its gain costs nothing), the 50 steps the default took until
        # 2026-12-06, and its deterministic (ODE) form
        draft = QUALITY["draft"][:2]
        for sampler, steps in dict.fromkeys(((DEFAULT_SAMPLER, DEFAULT_STEPS[DEFAULT_SAMPLER]), draft,
                                             (DEFAULT_SAMPLER, 50), ("dpm", DEFAULT_STEPS["dpm"]))):
            key = f"{sampler.replace('-', '_')}{steps}"
            t = _time(bundle, frames, device, sampler, steps)
            r[f"{key}_s"] = t
            r[f"{key}_s_per_audio_minute"] = t * 60.0 / seconds
            r[f"{key}_realtime_factor"] = seconds / t
        default = f"{DEFAULT_SAMPLER.replace('-', '_')}{DEFAULT_STEPS[DEFAULT_SAMPLER]}"
        t2 = _time(bundle, frames, device, DEFAULT_SAMPLER, DEFAULT_STEPS[DEFAULT_SAMPLER],
                   emotion_b=bundle.emotions[-1])
        r[f"{default}_two_emotions_s_per_audio_minute"] = t2 * 60.0 / seconds
        # side by side: what voice guidance (the silent unconditional branch) costs
        t_plain = _time(bundle, frames, device, DEFAULT_SAMPLER, DEFAULT_STEPS[DEFAULT_SAMPLER], voice_guidance=False)
        r[f"{default}_without_voice_guidance_s_per_audio_minute"] = t_plain * 60.0 / seconds
        if reference:
            t3 = _time(bundle, frames, device, "ddpm", 1000)
            r["ddpm1000_s_per_audio_minute"] = t3 * 60.0 / seconds
            r[f"ddpm1000_over_{default}"] = t3 / r[f"{default}_s"]
        if device == "cpu":
            r.update(_cpu_variants_side_by_side(bundle, frames, default))
        out["devices"][device] = r
    bundle.model.to("cpu")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out
