"""Where the network runs: CUDA when torch sees a GPU, else the CPU, or what the user names."""
from __future__ import annotations

import torch

from ..errors import OpenHumanError


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' (CUDA when torch sees one, else CPU), 'cpu', 'cuda' or 'cuda:N'."""
    if isinstance(device, torch.device):
        name = str(device)
    else:
        name = str(device).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise OpenHumanError(
                f"device {name!r} asked for, but this torch sees no CUDA GPU; use --device cpu or auto"
            )
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise OpenHumanError(f"unknown device {device!r}; use auto, cpu or cuda")
