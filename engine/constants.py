"""What every stage agrees on: the two rates, the default emotions, where the bundled files live and where
the rebuildable ones go. Plain constants, so the add-on's UI can read them without numpy."""
import os
from pathlib import Path

SAMPLE_RATE = 16000  # Hz: the audio every stage works on
MODEL_FPS = 20  # frames per second of the model's windows, its audio and text features, and the synthesiser's output
DEFAULT_EMOTIONS = ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed")

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_MODEL = PACKAGE_ROOT / "models" / "openhuman-base.safetensors"
EXAMPLE_VOICE = PACKAGE_ROOT / "examples" / "voice.wav"
EXAMPLE_TRANSCRIPT = PACKAGE_ROOT / "examples" / "voice.txt"


def user_cache_dir(kind: str) -> Path:
    """Where OpenHuman keeps what it can rebuild (found words, frozen network graphs), one folder per kind:
    $OPENHUMAN_CACHE/<kind>, else $XDG_CACHE_HOME/openhuman/<kind>, else ~/.cache/openhuman/<kind>."""
    if os.environ.get("OPENHUMAN_CACHE"):
        return Path(os.environ["OPENHUMAN_CACHE"]) / kind
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "openhuman" / kind
