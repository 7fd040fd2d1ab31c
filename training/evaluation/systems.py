"""The systems under evaluation, each turning a test segment into a Motion at the dataset's frame rate.

- real: the segment's own captured (or corpus) motion;
- mismatched: real motion of another segment (another take), paired with this segment's speech;
- mean_pose: the data mean pose held still;
- procedural: engine/procedural/synthesiser.py on the segment's speech and words (needs the
  waveform, see speech.py);
- model: the diffusion model through engine/windows.generate_motion_features, exactly as the
  product runs it (mean-pose seed, windows with crossfades), with any sampler; generations are
  cached, and a γ of exactly 1 or 0 in interpolation mode is the plain generation of one
  emotion (the network sees the same condition), so sweeps share their end points.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ...engine.motion import pose
from ...engine.errors import OpenHumanError
from ...engine.motion.motion import Motion, Skeleton
from ...engine.diffusion.presets import DEFAULT_INTENSITY, DEFAULT_SAMPLER
from ...engine.motion.skeleton_zeggs import zeggs_skeleton
from .segments import Segment, EvalSplit


class Systems:
    def __init__(self, split: EvalSplit, bundle=None, device: str = "auto", sampler: str = DEFAULT_SAMPLER,
                 steps: int | None = None, on_generate: Callable[[], None] | None = None,
                 intensity: float = DEFAULT_INTENSITY, precision: str = "auto"):
        from .speech import TakeSpeech

        self.split, self.bundle, self.device = split, bundle, device
        self.sampler, self.steps, self.intensity, self.precision = sampler, steps, float(intensity), precision
        self.fps = split.fps
        self.skeleton = zeggs_skeleton()
        self.mean_features = np.asarray(split.data.normaliser.mean, np.float32)
        self.speech = TakeSpeech(split.meta, lambda t: split.data.audio[t.start:t.start + t.frames])
        self._cache: dict = {}
        self._prosody: dict = {}
        self.on_generate = on_generate
        self.model_windows = 0  # model windows sampled so far (for timing reports)
        if bundle is not None:
            if abs(bundle.fps - self.fps) > 1e-6:
                raise OpenHumanError(f"the model works at {bundle.fps:g} fps but the dataset at {self.fps:g} fps")
            missing = [e for e in split.emotions if e.casefold() not in [x.casefold() for x in bundle.emotions]]
            if missing:
                raise OpenHumanError(f"the model does not know the dataset's emotions {missing}; it knows {bundle.emotions}")
            ours, theirs = split.meta["audio_spec"], bundle.metadata["audio_features"]
            if ours.get("version", 1) != theirs.get("version", 1) or ours["dims"] != theirs["dims"]:
                raise OpenHumanError(f"the model takes audio features version {theirs.get('version', 1)} "
                                     f"({theirs['dims']} dims) but the dataset holds version {ours.get('version', 1)} "
                                     f"({ours['dims']} dims); evaluate it on a dataset built for it")
            self.model_skeleton = Skeleton.from_dict(bundle.metadata["skeleton"])

    def decode(self, features: np.ndarray, skeleton: Skeleton | None = None) -> Motion:
        return pose.decode(features, skeleton or self.skeleton, self.fps)

    def real(self, seg: Segment) -> Motion:
        return self.decode(seg.motion)

    def mean_pose(self, seg: Segment) -> Motion:
        return self.decode(np.tile(self.mean_features, (seg.frames, 1)))

    @property
    def has_procedural(self) -> bool:
        return self.speech.available

    def procedural(self, seg: Segment, emotion: str | None = None, seed: int = 1) -> Motion:
        from ...engine.procedural import analyse_prosody, synthesise

        key = ("procedural", seg.key, seg.frames, emotion or seg.emotion, seed)
        if key not in self._cache:
            if seg.key not in self._prosody:
                samples = self.speech.segment_samples(seg.take, seg.start, seg.frames)
                self._prosody[seg.key] = (samples, analyse_prosody(samples))
            samples, prosody = self._prosody[seg.key]
            motion = synthesise(samples, seg.words, emotion or seg.emotion, fps=self.fps, seed=seed, prosody=prosody)
            self._cache[key] = _fit_length(motion, seg.frames)
        return self._cache[key]

    def model(self, seg: Segment, emotion: str | None = None, *, emotion_b: str | None = None, gamma: float = 1.0,
              seed: int = 0, sampler: str | None = None, steps: int | None = None) -> Motion:
        """The model's motion for a segment: one emotion, or emotion (γ) blended with emotion_b (1 − γ),
        with the product's guidance strength (intensity)."""
        from ...engine.diffusion.windowed_sampling import DEFAULT_OVERLAP, generate_motion_features, plan_windows

        if self.bundle is None:
            raise OpenHumanError("no model to evaluate: give --model FILE")
        emotion = emotion or seg.emotion
        sampler = sampler or self.sampler
        steps = steps if steps is not None else (self.steps if sampler == self.sampler else None)
        a, b, g = emotion, emotion_b, float(gamma)
        if b is not None and g in (0.0, 1.0):
            a, b, g = (a if g == 1.0 else b), None, 1.0
        if b is not None and self.split.emotions.index(a) > self.split.emotions.index(b):
            a, b, g = b, a, 1.0 - g  # γ·A + (1−γ)·B is the same blend as (1−γ)·B + γ·A
        key = ("model", seg.key, seg.frames, a, b, g, seed, sampler, steps, self.intensity, self.precision)
        if key not in self._cache:
            options = dict(gamma=g, strength=self.intensity, sampler=sampler, steps=steps, seed=seed,
                           device=self.device, precision=self.precision)
            features = generate_motion_features(self.bundle, seg.audio, seg.text, a, b, **options)
            self.model_windows += len(plan_windows(seg.frames, self.bundle.config.frames, DEFAULT_OVERLAP))
            self._cache[key] = self.decode(features, self.model_skeleton)
            if self.on_generate:
                self.on_generate()
        return self._cache[key]


def _fit_length(motion: Motion, frames: int) -> Motion:
    if motion.n_frames == frames:
        return motion
    if motion.n_frames > frames:
        return motion.slice(0, frames)
    pad = frames - motion.n_frames
    return Motion(np.concatenate([motion.root_positions, np.repeat(motion.root_positions[-1:], pad, 0)]),
                  np.concatenate([motion.rotations, np.repeat(motion.rotations[-1:], pad, 0)]),
                  motion.fps, motion.skeleton)
