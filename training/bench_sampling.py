"""Benchmark: seconds per minute of audio for the reference DDPM-1000 and the default fast sampler."""
from __future__ import annotations

import resource
import time

import numpy as np
import torch

from ..engine.conditions.audio_features import audio_feature_spec
from ..engine.diffusion.denoiser import Denoiser, DenoiserConfig
from ..engine.diffusion.modelfile import LoadedModel, load_model_file
from ..engine.constants import BUNDLED_MODEL, DEFAULT_EMOTIONS
from ..engine.motion.pose import DIMS
from ..engine.diffusion.presets import DEFAULT_INTENSITY, DEFAULT_SAMPLER, DEFAULT_STEPS
from ..engine.conditions.text_features import text_feature_spec
from ..engine.diffusion.windowed_sampling import generate_motion_features


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


def _time(bundle, frames, device, sampler, steps, emotion_b=None, voice_guidance=None) -> float:
    rng = np.random.default_rng(0)
    audio = rng.normal(size=(frames, bundle.config.audio_dim)).astype(np.float32)
    text = np.zeros((frames, bundle.config.text_dim), np.float32)
    start = time.perf_counter()
    generate_motion_features(bundle, audio, text, bundle.emotions[0], emotion_b, gamma=0.5 if emotion_b else 1.0,
                             strength=DEFAULT_INTENSITY, sampler=sampler, steps=steps, seed=0, device=device,
                             voice_guidance=voice_guidance)
    if device != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def benchmark_sampling(model_path=None, seconds: float = 60.0, reference: bool = False) -> dict:
    bundle, name = _bundle(model_path)
    frames = int(seconds * bundle.fps)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    out = {"model": name, "audio_seconds": seconds, "threads": torch.get_num_threads(),
           "intensity": DEFAULT_INTENSITY, "devices": {}}
    for device in devices:
        bundle.model.to(device)
        r = {}
        for sampler in (DEFAULT_SAMPLER, "dpm"):  # the default and its deterministic (ODE) form
            steps = DEFAULT_STEPS[sampler]
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
        out["devices"][device] = r
    bundle.model.to("cpu")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out
