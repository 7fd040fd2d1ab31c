"""Where the bundled files live inside the package."""
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_MODEL = PACKAGE_ROOT / "models" / "openhuman-base.safetensors"
EXAMPLE_VOICE = PACKAGE_ROOT / "examples" / "voice.wav"
EXAMPLE_TRANSCRIPT = PACKAGE_ROOT / "examples" / "voice.txt"
DEFAULT_EMOTIONS = ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed")
