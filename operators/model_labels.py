"""The emotion labels of the model the add-on uses, read from its header (no torch needed)."""
from ..engine.errors import ModelFileError
from ..engine.diffusion.model_header import read_metadata
from ..engine.constants import BUNDLED_MODEL, DEFAULT_EMOTIONS

_cache: dict = {}


def model_path() -> str:
    """The user's model file from the add-on preferences, else the bundled one."""
    from .preferences import get_preferences

    prefs = get_preferences()
    return (prefs.model_path if prefs and prefs.model_path else str(BUNDLED_MODEL))


def current_labels() -> list[str]:
    path = model_path()
    if path not in _cache:
        try:
            _cache[path] = list(read_metadata(path)["emotions"])
        except (ModelFileError, KeyError):
            _cache[path] = list(DEFAULT_EMOTIONS)
    return _cache[path]
