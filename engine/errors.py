"""Error types the engine raises for bad input. Each message names the problem and what to do."""


class OpenHumanError(Exception):
    """Base of every error caused by the user's input (files, options), not by a bug."""


class BVHError(OpenHumanError):
    """A BVH file could not be read; `line` is the 1-based line where reading stopped."""

    def __init__(self, message: str, line: int | None = None, path: str | None = None):
        where = ""
        if path:
            where += f"{path}"
        if line is not None:
            where += f":{line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.line = line
        self.path = path


class AudioError(OpenHumanError):
    """An audio file could not be read or is not usable as speech."""


class TranscriptError(OpenHumanError):
    """A transcript file could not be parsed."""


class ModelFileError(OpenHumanError):
    """A model file is missing, damaged, from a newer version, or needs features this build lacks."""


class Cancelled(Exception):
    """A job stopped because the caller's cancel flag was raised (not an error of the user's)."""


class RetargetError(OpenHumanError):
    """A bone map or a rig that cannot be retargeted onto; the message says what to map or fix."""
