"""Fréchet Gesture Distance in the motion autoencoder's latent space.

Every latent vector (one per 4 frames, seeing about 1.6 s of motion) of every segment is one
sample; a set of motions becomes a Gaussian (mean, covariance) and two sets are compared with the
Fréchet distance ||μ1 − μ2||² + tr(Σ1 + Σ2 − 2(Σ1Σ2)^½).

- `fgd`: motion alone, as in the literature. It cannot tell whether motion fits its speech:
  real motion paired with the wrong audio has exactly the floor's FGD.
- `fgd_joint`: each latent vector joined with a summary of the speech around it (loudness,
  onset strength, voicing and pitch, averaged over the latent's 0.8 s neighbourhood), both
  standardised with the reference set's statistics. Motion that ignores its speech loses the
  motion-speech covariance of the reference and scores worse, so this is the FGD to hold
  against the mismatched-audio baseline. Measured on OpenHuman-Synth the margin is small: the
  mismatched baseline scores only 0.3–3 % above the floor (the synthesiser's motion correlates
  weakly, |r| < 0.3, with loudness and pitch), so a model "below the mismatched baseline" by
  this measure is within noise unless the margin is large.

Compare sets of the same size only (the estimate's bias shrinks with the number of samples):
report.py measures every system on the same segments against the same reference.
"""
from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.ndimage import uniform_filter1d

from .motion_autoencoder import STRIDE, MotionEncoder, _pad_to_stride

SPEECH_PARTS = ("rms_db", "onset", "voicing", "log_f0")
SPEECH_CONTEXT_FRAMES = 16  # 0.8 s at 20 fps: the latent's own neighbourhood


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        eps = np.eye(len(mu1)) * 1e-6
        covmean = linalg.sqrtm((sigma1 + eps) @ (sigma2 + eps))
    covmean = np.real(covmean)
    return float(max(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean), 0.0))


def gaussian(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(samples, np.float64)
    if len(x) < 2:
        raise ValueError("a Fréchet distance needs at least two samples per set")
    return x.mean(0), np.cov(x, rowvar=False)


def frechet_between(a: np.ndarray, b: np.ndarray) -> float:
    return frechet_distance(*gaussian(a), *gaussian(b))


def speech_summary(audio: np.ndarray, audio_spec: dict) -> np.ndarray:
    """(F, Da) audio features -> (ceil(F/4), len(SPEECH_PARTS)): each part averaged over the latent's
    neighbourhood, taken at every latent's frames."""
    offsets, start = {}, 0
    for name, dims in audio_spec["parts"]:
        offsets[name] = start
        start += dims
    cols = np.stack([audio[:, offsets[p]] for p in SPEECH_PARTS], axis=1).astype(np.float64)
    smooth = uniform_filter1d(cols, SPEECH_CONTEXT_FRAMES, axis=0, mode="nearest")
    return _pad_to_stride(smooth)[STRIDE // 2::STRIDE]


class FGD:
    """FGD and joint FGD of sets of motions against one reference set (pose features + audio)."""

    def __init__(self, encoder: MotionEncoder, reference_motion: list[np.ndarray], reference_audio: list[np.ndarray],
                 audio_spec: dict):
        self.encoder, self.audio_spec = encoder, audio_spec
        ref_z = np.concatenate(encoder.latents_many(reference_motion))
        ref_s = np.concatenate([speech_summary(a, audio_spec) for a in reference_audio])
        self.z_mean, self.z_std = ref_z.mean(0), ref_z.std(0) + 1e-9
        self.s_mean, self.s_std = ref_s.mean(0), ref_s.std(0) + 1e-9
        self.reference = gaussian(ref_z)
        self.reference_joint = gaussian(self._joint(ref_z, ref_s))

    def _joint(self, z: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.concatenate([(z - self.z_mean) / self.z_std, (s - self.s_mean) / self.s_std], axis=1)

    def latents(self, motions: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(self.encoder.latents_many(motions))

    def fgd(self, motions: list[np.ndarray]) -> float:
        """Motion features (F, 1141) of a set of segments against the reference."""
        return frechet_distance(*gaussian(self.latents(motions)), *self.reference)

    def fgd_joint(self, motions: list[np.ndarray], audio: list[np.ndarray]) -> float:
        """As `fgd`, each latent joined with the speech it is paired with (audio[i] goes with motions[i])."""
        zs = self.encoder.latents_many(motions)
        s = np.concatenate([speech_summary(a, self.audio_spec)[:len(z)] for z, a in zip(zs, audio)])
        return frechet_distance(*gaussian(self._joint(np.concatenate(zs), s)), *self.reference_joint)
