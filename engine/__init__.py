"""OpenHuman engine: pure Python, numpy, torch and librosa. Never imports bpy."""
