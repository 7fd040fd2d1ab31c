"""The network's arithmetic on a CPU: float32, or bfloat16 where the CPU multiplies it natively.

bfloat16 keeps float32's range with 8 bits of mantissa; on a CPU with AVX-512 BF16 its matrix products
run about 1.5 times as fast at the bundled model's sizes. Only the network's weights and activations
change type: its inputs are cast on entry, its x̂0 comes back as float32, and the sampler's arithmetic
stays float32 (denoiser.py). Elsewhere (no native bfloat16, or CUDA) "auto" is float32.
"""
from __future__ import annotations

import copy

import torch

from .presets import PRECISIONS


def cpu_multiplies_bfloat16() -> bool:
    """Whether this CPU has native bfloat16 products (AVX-512 BF16 or AMX), which oneDNN uses."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch built without oneDNN
        return False


def network_dtype(precision: str, device: torch.device) -> torch.dtype:
    """The weights' type for a precision setting on a device."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "float32" or device.type != "cpu":
        return torch.float32
    if precision == "bfloat16" or cpu_multiplies_bfloat16():
        return torch.bfloat16
    return torch.float32


def with_weights(model: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Module:
    """The model itself for float32, else a copy whose real weights and buffers are ``dtype`` (the complex
    rotary table stays complex: a cast would drop its imaginary part)."""
    if dtype == torch.float32:
        return model
    out = copy.deepcopy(model)
    for tensor in [*out.parameters(), *out.buffers()]:
        if tensor.is_floating_point():
            tensor.data = tensor.data.to(dtype)
    return out
