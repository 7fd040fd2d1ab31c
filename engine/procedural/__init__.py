"""Rule-based co-speech gesture synthesis on the 75-joint skeleton: `synthesise(samples, words, emotion)`."""
from .prosody import Prosody, analyse_prosody
from .styles import STYLE_NAMES, STYLES, Style, blend
from .synthesiser import listen, synthesise

__all__ = ["Prosody", "STYLES", "STYLE_NAMES", "Style", "analyse_prosody", "blend", "listen", "synthesise"]
