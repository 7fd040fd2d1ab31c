"""The speech waveform of a dataset take, for systems that need samples (the procedural synthesiser).

Dataset folders keep audio features, not waveforms, so the speech is rebuilt from where the take
came from:

- OpenHuman-Synth corpora (meta info kind "openhuman-synth"): the take's plan is recomputed from
  the corpus seed and size, and its speech spoken again exactly as `corpus.build_take` does
  (espeak-ng, or LibriVox clips joined in the plan's order);
- ZeroEGGs-style imports (kind "zeggs-import"): `<take id>.wav` under the recorded source folder.

The rebuilt audio is checked against the stored features (loudness per frame), so a corpus built
by another version of the speech code is refused rather than silently paired with other speech.
Speech is spoken in a fresh process, as the corpus builder's was, so with the same espeak-ng it
matches exactly. Spoken after other speech in one process it would drift by a few samples per
sentence (up to about 0.1 s over a take; another espeak-ng build may differ alike), so the check
aligns each 10 s chunk within ±MAX_DRIFT_FRAMES before comparing (loudness per frame then
correlates at 0.97 or more; other takes' at 0.2 or less).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...engine.errors import OpenHumanError
from ..windows_dataset import Take

MAX_MEDIAN_LOUDNESS_DIFF_DB = 2.0
MIN_LOUDNESS_CORRELATION = 0.9
MAX_DRIFT_FRAMES = 4
CHUNK_FRAMES = 200


class TakeSpeech:
    """`samples(take)` -> 16 kHz mono speech of a take of one dataset (cached), or an error."""

    def __init__(self, meta: dict, take_audio):
        self.meta = meta
        self.info = meta.get("info", {})
        self.kind = self.info.get("kind")
        self.take_audio = take_audio  # take -> its stored (frames, Da) audio features
        self._cache: dict[str, np.ndarray] = {}
        self._plans = None
        self._librivox = None

    @property
    def available(self) -> bool:
        return self.kind in ("openhuman-synth", "zeggs-import")

    def samples(self, take: Take) -> np.ndarray:
        if take.id not in self._cache:
            if self.kind == "openhuman-synth":
                samples = self._synth(take)
            elif self.kind == "zeggs-import":
                samples = self._zeggs(take)
            else:
                raise OpenHumanError(f"the dataset (kind {self.kind!r}) keeps no way to rebuild its speech")
            self._check(take, samples)
            self._cache[take.id] = samples
        return self._cache[take.id]

    def segment_samples(self, take: Take, start_frame: int, frames: int) -> np.ndarray:
        hop = int(round(16000 / float(self.meta["fps"])))
        part = self.samples(take)[start_frame * hop:(start_frame + frames) * hop]
        return np.pad(part, (0, frames * hop - len(part)))

    def _synth(self, take: Take) -> np.ndarray:
        from ..corpus import find_librivox, librivox_take, load_librivox, plan_corpus, recorded
        from ..sentences import SentenceGenerator
        from ..speech_synth import synthesise_speech

        match = re.match(r"synth-(\d+)-", take.id)
        if not match:
            raise OpenHumanError(f"take {take.id!r} is not named like a corpus take (synth-NNNNN-emotion)")
        if self._plans is None:
            info = self.info
            self._plans = plan_corpus(info["hours_requested"], info["seed"], librivox=info.get("librivox") is not None,
                                      librivox_every=info["librivox_every"], item_seconds=tuple(info["item_seconds"]))
        plan = self._plans[int(match.group(1))]
        if plan.emotion != take.emotion:
            raise OpenHumanError(f"take {take.id}: the recomputed plan says {plan.emotion}; the corpus was built "
                                 "by another version of the corpus code")
        speech_seed, sentence_seed, _, room_seed = (int(s) for s in np.random.SeedSequence(plan.seed).generate_state(4))
        if plan.kind == "espeak":
            clean = synthesise_speech(SentenceGenerator(sentence_seed), plan.emotion, plan.voice, seed=speech_seed,
                                      min_seconds=plan.seconds).samples
            return recorded(clean, room_seed) if self.info.get("rooms") else clean
        if self._librivox is None:
            folder = find_librivox(self.info["librivox"]) if Path(self.info["librivox"]).exists() else None
            if folder is None:
                raise OpenHumanError(f"take {take.id} speaks LibriVox clips from {self.info['librivox']}, "
                                     "which is not on this machine")
            self._librivox = load_librivox(folder)
        clean = librivox_take(self._librivox, speech_seed, plan.seconds)[0]
        return recorded(clean, room_seed) if self.info.get("rooms") else clean

    def _zeggs(self, take: Take) -> np.ndarray:
        from ...engine.speech.audio import load_audio

        source = Path(self.info.get("source", ""))
        found = sorted(source.rglob(f"{take.id}.wav")) if source.is_dir() else []
        if not found:
            raise OpenHumanError(f"take {take.id}: {take.id}.wav not found under the import's source folder {source}")
        return load_audio(found[0])

    def _check(self, take: Take, samples: np.ndarray) -> None:
        from ...engine.conditions.audio_features import compute_audio_features

        stored = np.asarray(self.take_audio(take))
        parts = [p for p, _ in self.meta["audio_spec"]["parts"]]
        offset = sum(d for p, d in self.meta["audio_spec"]["parts"][:parts.index("rms_db")])
        rebuilt = compute_audio_features(samples, self.meta["audio_spec"].get("version", 1))[:, offset]
        diff, corr = loudness_agreement(rebuilt, stored[:, offset])
        if abs(len(rebuilt) - len(stored)) > 2 * MAX_DRIFT_FRAMES or diff > MAX_MEDIAN_LOUDNESS_DIFF_DB \
                or corr < MIN_LOUDNESS_CORRELATION:
            raise OpenHumanError(f"take {take.id}: the rebuilt speech does not match the stored audio features "
                                 f"(loudness per frame: median difference {diff:.2f} dB, correlation {corr:.2f}, "
                                 f"{len(rebuilt)} frames vs {len(stored)}); "
                                 "the dataset was built by another version of the speech code")


def loudness_agreement(rebuilt: np.ndarray, stored: np.ndarray) -> tuple[float, float]:
    """Median |difference| (dB) and correlation of two loudness curves, each CHUNK_FRAMES chunk of the
    stored curve aligned to the rebuilt one within ±MAX_DRIFT_FRAMES."""
    a_parts, b_parts = [], []
    for start in range(0, len(stored), CHUNK_FRAMES):
        b = stored[start:start + CHUNK_FRAMES]
        best = None
        for shift in range(-MAX_DRIFT_FRAMES, MAX_DRIFT_FRAMES + 1):
            lo, skip = start + shift, max(0, -(start + shift))  # frames of b before the rebuilt curve
            a = rebuilt[lo + skip:lo + len(b)]
            if len(a) < len(b) - MAX_DRIFT_FRAMES:  # the curves' ends: compare what overlaps
                continue
            err = float(np.mean(np.abs(a - b[skip:skip + len(a)])))
            if best is None or err < best[0]:
                best = (err, a, b[skip:skip + len(a)])
        if best is not None:
            a_parts.append(best[1])
            b_parts.append(best[2])
    if not a_parts:
        return np.inf, 0.0
    a, b = np.concatenate(a_parts), np.concatenate(b_parts)
    diff = float(np.median(np.abs(a - b)))
    corr = float(np.corrcoef(a, b)[0, 1]) if len(a) > 2 and a.std() > 0 and b.std() > 0 else float(diff == 0.0)
    return diff, corr
