"""The OHGesture denoiser G(x_t, t, c): predicts the clean motion window x0.

Frame tokens (x_t joined with audio and text features) pass one cross-local
attention block (each frame sees ±local_window frames, rotary positions), then
self-attention layers together with one condition token that carries the
timestep, emotion and seed embeddings. Every size comes from `DenoiserConfig`,
which a model file stores; nothing about the data is a code constant.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import MISSING, asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class DenoiserConfig:
    """Architecture of one denoiser. The data sizes have no defaults on purpose."""

    pose_dim: int  # D, features per motion frame
    audio_dim: int  # Da, audio features per frame
    text_dim: int  # Dt, text features per frame
    frames: int  # M, frames per window
    seed_frames: int  # N, frames of seed motion before the window
    n_emotions: int  # emotion index n_emotions means "absent"
    latent: int = 256
    heads: int = 4
    layers: int = 4
    local_window: int = 8  # a frame attends to frames within ±local_window
    ff_mult: int = 2  # feed-forward width = ff_mult × latent; 2 keeps 60 s of audio well under 7.5 s on 2 CPU cores
    dropout: float = 0.1
    # 1: the network also reads the step's noise z (a distilled student's stochastic step, training/distill.py)
    noise_input: int = 0

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "dropout":
                if not 0.0 <= value < 1.0:
                    raise ValueError(f"denoiser config: dropout must be in [0, 1), got {value}")
                continue
            minimum = 0 if f.name in ("local_window", "noise_input") else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise ValueError(f"denoiser config: {f.name} must be an integer >= {minimum}, got {value!r}")
        if self.noise_input not in (0, 1):
            raise ValueError(f"denoiser config: noise_input must be 0 or 1, got {self.noise_input}")
        if self.latent % (2 * self.heads):
            raise ValueError(
                f"denoiser config: latent ({self.latent}) must be divisible by 2 × heads ({self.heads}) "
                "for rotary positions"
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DenoiserConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"denoiser config: unknown keys {unknown}; known keys are {sorted(known)}")
        missing = sorted(f.name for f in fields(cls) if f.default is MISSING and f.name not in data)
        if missing:
            raise ValueError(f"denoiser config: missing keys {missing}")
        return cls(**data)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def weights_digest(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of all tensors, in name order."""
    sha = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        sha.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        sha.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of integer (or real) timesteps t (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    return F.pad(emb, (0, dim % 2))


def rotary_tables(length: int, head_dim: int) -> torch.Tensor:
    """Rotations (length, head_dim/2) as unit complex numbers e^{i·pos·freq} for rotary positions."""
    inv_freq = 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    angles = torch.arange(length, dtype=torch.float32)[:, None] * inv_freq[None]
    return torch.complex(torch.cos(angles), torch.sin(angles))


def apply_rotary(x: torch.Tensor, rotation: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs (x[2j], x[2j+1]) of x (..., T, hd) by position-dependent angles.

    One complex product, the same arithmetic as the real pair form and ten times faster on a CPU
    (no strided copies), which made it 15 % of a network pass."""
    if x.dtype not in (torch.float32, torch.float64):  # bfloat16 under autocast has no complex type
        return apply_rotary(x.float(), rotation).to(x.dtype)
    pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(pairs * rotation).flatten(-2)


class Attention(nn.Module):
    """Multi-head self-attention with rotary q/k and an optional boolean mask."""

    def __init__(self, latent: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.qkv = nn.Linear(latent, 3 * latent)
        self.out = nn.Linear(latent, latent)

    def forward(self, x, rotation, mask=None):
        b, n, c = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k = apply_rotary(qkv[:2], rotation)
        v = qkv[2]
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        return self.out(y.transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    """Pre-norm transformer block: attention then feed-forward, both residual."""

    def __init__(self, latent: int, heads: int, ff_mult: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(latent)
        self.attn = Attention(latent, heads, dropout)
        self.norm2 = nn.LayerNorm(latent)
        self.ff = nn.Sequential(
            nn.Linear(latent, ff_mult * latent),
            nn.GELU(),
            nn.Linear(ff_mult * latent, latent),
            nn.Dropout(dropout),
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x, rotation, mask=None):
        x = x + self.drop(self.attn(self.norm1(x), rotation, mask))
        return x + self.ff(self.norm2(x))


class Denoiser(nn.Module):
    """G(x_t, t, c) -> x̂0 for one window; c = (seed, seed_present, emotion, audio, text)."""

    def __init__(self, config: DenoiserConfig | dict):
        super().__init__()
        if isinstance(config, dict):
            config = DenoiserConfig.from_dict(config)
        self.config = cfg = config
        L = cfg.latent
        self.motion_in = nn.Linear(cfg.pose_dim, L)
        if cfg.noise_input:
            self.noise_in = nn.Linear(cfg.pose_dim, L)
        self.audio_in = nn.Linear(cfg.audio_dim, L)
        self.text_in = nn.Linear(cfg.text_dim, L)
        self.fuse = nn.Linear(3 * L, L)
        self.local_block = Block(L, cfg.heads, cfg.ff_mult, cfg.dropout)
        self.blocks = nn.ModuleList(Block(L, cfg.heads, cfg.ff_mult, cfg.dropout) for _ in range(cfg.layers))
        self.time_mlp = nn.Sequential(nn.Linear(L, L), nn.SiLU(), nn.Linear(L, L))
        self.emotion_emb = nn.Embedding(cfg.n_emotions + 1, L)  # last row: emotion absent
        self.seed_frame = nn.Linear(cfg.pose_dim, L)
        self.seed_mix = nn.Linear(cfg.seed_frames * L, L)
        self.seed_absent = nn.Parameter(0.02 * torch.randn(L))
        self.norm_out = nn.LayerNorm(L)
        self.motion_out = nn.Linear(L, cfg.pose_dim)

        # Positions: the condition token is 0, frames are 1..M (a rotation by 0 is the identity).
        self.register_buffer("rotation", rotary_tables(cfg.frames + 1, L // cfg.heads), persistent=False)
        idx = torch.arange(cfg.frames)
        self.register_buffer("band", (idx[:, None] - idx[None, :]).abs() <= cfg.local_window, persistent=False)

    @property
    def absent_emotion(self) -> int:
        return self.config.n_emotions

    def condition_token(self, t, seed, seed_present, emotion):
        L, dt = self.config.latent, self.weight_dtype
        time = self.time_mlp(timestep_embedding(t, L).to(dt))
        seed_emb = self.seed_mix(self.seed_frame(seed.to(dt)).flatten(1))
        seed_emb = torch.where(seed_present[:, None], seed_emb, self.seed_absent.to(seed_emb.dtype))
        return time + self.emotion_emb(emotion) + seed_emb

    def forward(self, x_t, t, audio, text, seed, seed_present, emotion, noise=None):
        """x_t (B,M,D), t (B,), audio (B,M,Da), text (B,M,Dt), seed (B,N,D),
        seed_present (B,) bool, emotion (B,) long with n_emotions = absent -> x̂0 (B,M,D);
        noise (B,M,D): the step's noise, for a network with noise_input (and only for one)."""
        self.check_inputs(x_t, t, audio, text, seed, seed_present, emotion)
        return self.decode(self.frame_tokens(x_t, audio, text, noise), t, seed, seed_present, emotion)

    def frame_tokens(self, x_t, audio, text, noise=None):
        """Per-frame tokens after the cross-local attention: (B, M, latent).

        They depend on x_t, audio and text (and the step's noise) only, so guidance computes them once
        for both branches.
        """
        dt = self.weight_dtype
        motion = self.motion_in(x_t.to(dt))
        if self.config.noise_input:
            if noise is None or noise.shape != x_t.shape:
                raise ValueError("this network reads the step's noise: give noise shaped like x_t "
                                 f"{tuple(x_t.shape)}, got {None if noise is None else tuple(noise.shape)}")
            motion = motion + self.noise_in(noise.to(dt))
        elif noise is not None:
            raise ValueError("this network has no noise input; sample it without noise")
        return self._tokens(motion, self.audio_in(audio.to(dt)), self.text_in(text.to(dt)))

    def _tokens(self, motion, voice, words):
        """Frame tokens from the three inputs' embeddings: fused, then the cross-local attention."""
        return self.local_block(self.fuse(torch.cat([motion, voice, words], dim=-1)), self.rotation[1:], self.band)

    def decode(self, tokens, t, seed, seed_present, emotion):
        """x̂0 from frame tokens and the condition token (timestep, seed, emotion)."""
        return self.motion_out(self.hidden(tokens, t, seed, seed_present, emotion)).float()

    def hidden(self, tokens, t, seed, seed_present, emotion):
        """The frames' last hidden states, normalised: what ``motion_out`` reads."""
        cond = self.condition_token(t, seed, seed_present, emotion)
        h = torch.cat([cond[:, None], tokens], dim=1)
        for block in self.blocks:
            h = block(h, self.rotation)
        return self.norm_out(h[:, 1:])

    def mixed(self, x_t, t, audio, text, seed, seed_present, emotion, weights):
        """Σ_k weights[k]·G(x_t, t, c_k) over K conditions that share x_t and text (B each), in one batch.

        audio is (B, M, Da) when every condition hears the same, else (K·B, M, Da); seed, seed_present and
        emotion are stacked (K·B); weights (K, B, M, 1) float32. What the conditions share is computed once:
        the motion and text inputs, and the frame tokens when the audio is shared too. The output layer is
        linear, so it runs once, on the weighted sum of the hidden states (a tenth of a two-branch pass).
        """
        k, b = weights.shape[0], x_t.shape[0]
        dt = self.weight_dtype
        motion, words = self.motion_in(x_t.to(dt)), self.text_in(text.to(dt))
        voice = self.audio_in(audio.to(dt))
        if audio.shape[0] == b:
            tokens = self._tokens(motion, voice, words).repeat(k, 1, 1)
        else:
            tokens = self._tokens(motion.repeat(k, 1, 1), voice, words.repeat(k, 1, 1))
        h = self.hidden(tokens, t.repeat(k), seed, seed_present, emotion).float()
        mixed = (weights * h.view(k, b, *h.shape[1:])).sum(0)
        out = F.linear(mixed.to(dt), self.motion_out.weight).float()
        return out + weights.sum(0) * self.motion_out.bias.float()

    @property
    def weight_dtype(self) -> torch.dtype:
        """The weights' type: inputs are cast to it (a bfloat16 copy, precision.py) and x̂0 is float32."""
        return self.motion_in.weight.dtype

    def check_inputs(self, x_t, t, audio, text, seed, seed_present, emotion):
        cfg = self.config
        b = x_t.shape[0]
        expected = {
            "x_t": (x_t, (b, cfg.frames, cfg.pose_dim)),
            "t": (t, (b,)),
            "audio": (audio, (b, cfg.frames, cfg.audio_dim)),
            "text": (text, (b, cfg.frames, cfg.text_dim)),
            "seed": (seed, (b, cfg.seed_frames, cfg.pose_dim)),
            "seed_present": (seed_present, (b,)),
            "emotion": (emotion, (b,)),
        }
        for name, (tensor, shape) in expected.items():
            if tuple(tensor.shape) != shape:
                raise ValueError(f"denoiser input {name} has shape {tuple(tensor.shape)}, expected {shape}")
        if seed_present.dtype != torch.bool:
            raise ValueError("denoiser input seed_present must be a bool tensor")
