"""The network and its sampling: denoiser, noise schedule, guidance, samplers and presets, model files,
the windowed sampling pipeline, and where it runs."""
