"""OpenHuman-Synth: the project's own training corpus, speech in six emotions with procedural gestures.

A corpus is planned as blocks of six takes, one per emotion, all of the same wanted length, so
every emotion gets the same number of takes and hours. All six takes of a block share a voice
(voices cycle through :data:`speech_synth.VOICES` in a shuffled order), so a voice says nothing
about the emotion; blocks are split 8:1:1 (``split_for_index``) so every split holds all six
emotions. A take is either

- ``espeak``: sentences from :class:`sentences.SentenceGenerator` spoken by espeak-ng with the
  emotion's prosody until the take is 15–45 s long, words timed exactly; or
- ``librivox``: every ``LIBRIVOX_EVERY``-th block, the public-domain LibriVox recordings of
  Debian's pocketsphinx-testdata (real human speech) joined in a random order with pauses until
  the take is long enough (there are only about 25 s of them), their words force-aligned to the
  audio once per build (``engine.words_from_speech.words_for_clip``).

For each take the procedural synthesiser makes the motion in the take's emotion from the clean
speech; the audio features are computed from the speech as recorded through a random room,
microphone, noise floor and gain (training/augment.py, drawn from the take's seed; 15 % stay clean),
so the model learns from audio like its users'. Pose (1141), audio and text features at 20 fps go
to a :class:`windows_dataset.DatasetWriter`.

Reproducible: a take depends only on the corpus seed and its index (and on which LibriVox folder
was found, recorded in the dataset's meta.json), never on the number of workers: each take is
built in a fresh process (see :func:`_fresh_process_pool`) and the takes are written in plan
order.
"""
from __future__ import annotations

import math
import os
import random
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

from ..engine.errors import OpenHumanError
from ..engine.speech.words import WordSpan
from .neural_speech import VOICE_NAME as NEURAL_VOICE  # piper itself is imported only when a take speaks

EMOTIONS = ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed")
FPS = 20.0
WINDOW = 80
SEED_FRAMES = 8
ITEM_SECONDS = (15.0, 45.0)
LIBRIVOX_EVERY = 20  # one block of LibriVox takes per this many blocks (5 % of the corpus)
DEBIAN_LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
_REPO_SHARED_SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "speech"


@dataclass(frozen=True)
class ItemPlan:
    index: int
    kind: str  # "espeak" or "librivox"
    emotion: str
    voice: str
    seed: int
    seconds: float  # wanted length (espeak takes stop at the first sentence end past it)
    split: str


@dataclass
class LibriVoxClip:
    name: str
    samples: np.ndarray
    words: list[WordSpan]


@dataclass
class BuiltTake:
    plan: ItemPlan
    source: str
    motion: np.ndarray
    audio: np.ndarray
    text: np.ndarray
    words: list[WordSpan]
    heard: np.ndarray | None = None  # the speech as recorded, kept only while WavLM features are still to add

    @property
    def seconds(self) -> float:
        return len(self.motion) / FPS


def plan_corpus(hours: float, seed: int = 0, librivox: bool = False, librivox_every: int = LIBRIVOX_EVERY,
                item_seconds: tuple[float, float] = ITEM_SECONDS, neural_every: int = 0) -> list[ItemPlan]:
    """The takes of a corpus of about ``hours`` hours, in writing order.

    With ``neural_every`` N > 0, one block in N (the second of every N) speaks with the neural
    voice (training/neural_speech.py) instead of an espeak-ng voice.

    The first blocks of a plan do not depend on ``hours``: a longer corpus extends a shorter one
    (only the split of the blocks changes with their number).
    """
    from .speech_synth import VOICES
    from .windows_dataset import split_for_index

    if not hours > 0:
        raise OpenHumanError(f"--hours must be positive, got {hours}")
    rng = random.Random(seed)
    if not 4.5 <= item_seconds[0] <= item_seconds[1]:
        raise OpenHumanError(f"take lengths must be at least 4.5 s (a training window), got {item_seconds}")
    block_seconds = len(EMOTIONS) * sum(item_seconds) / 2
    n_blocks = max(1, round(hours * 3600 / block_seconds))
    voices = list(VOICES)
    rng.shuffle(voices)
    plans = []
    for block in range(n_blocks):
        kind = "librivox" if librivox and block % librivox_every == librivox_every - 1 else "espeak"
        if kind == "espeak" and neural_every > 0 and block % neural_every == min(1, neural_every - 1):
            kind = "neural"
        voice = {"librivox": "librivox", "neural": NEURAL_VOICE}.get(kind) or voices[block % len(voices)]
        split = split_for_index(block, n_blocks)
        seconds = rng.uniform(*item_seconds)  # one length for the block keeps the emotions' hours equal
        for emotion in EMOTIONS:
            index = len(plans)
            item_seed = int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
            plans.append(ItemPlan(index, kind, emotion, voice, item_seed, seconds, split))
    return plans


def find_librivox(folder=None) -> Path | None:
    """A folder with LibriVox WAVs and their Sphinx ``transcription``: ``folder`` if given, else
    Debian's pocketsphinx-testdata, else ../shared/data/speech beside the repository; None if none."""
    if folder is not None:
        folder = Path(folder)
        if not (folder / "transcription").is_file():
            raise OpenHumanError(f"{folder}: no 'transcription' file there; give the folder of the LibriVox "
                                 "WAVs (Debian: apt-get install pocketsphinx-testdata, "
                                 f"then {DEBIAN_LIBRIVOX})")
        return folder
    for candidate in (DEBIAN_LIBRIVOX, _REPO_SHARED_SPEECH):
        if (candidate / "transcription").is_file():
            return candidate
    return None


def load_librivox(folder) -> list[LibriVoxClip]:
    """The clips of a LibriVox folder with their words aligned to the audio (done once per build)."""
    from ..engine.speech.audio import load_audio
    from ..engine.speech.words_from_speech import words_for_clip
    from .librivox import read_librivox_transcription

    folder = Path(folder)
    clips = []
    for name, words in read_librivox_transcription(folder / "transcription"):
        wav = folder / f"{name}.wav"
        if not wav.is_file():
            continue
        samples = load_audio(wav)
        spans, _ = words_for_clip(samples, " ".join(words))
        clips.append(LibriVoxClip(name, samples, spans))
    if not clips:
        raise OpenHumanError(f"{folder}: the transcription names no WAV file found there")
    return clips


def librivox_take(clips: list[LibriVoxClip], seed: int,
                  seconds: float = math.inf) -> tuple[np.ndarray, list[WordSpan], str]:
    """Clips in a random order, with pauses, until at least ``seconds`` long (or all are used):
    (samples, words, source naming the clips)."""
    from ..engine.speech.audio import SAMPLE_RATE

    rng = random.Random(seed)
    order = list(clips)
    rng.shuffle(order)
    pieces = [np.zeros(int(rng.uniform(0.3, 0.9) * SAMPLE_RATE), np.float32)]
    cursor = len(pieces[0])
    words, used = [], []
    for clip in order:
        if used and cursor / SAMPLE_RATE >= seconds:
            break
        words += [WordSpan(w.word, w.start + cursor / SAMPLE_RATE, w.end + cursor / SAMPLE_RATE) for w in clip.words]
        gap = np.zeros(int(rng.uniform(0.4, 1.2) * SAMPLE_RATE), np.float32)
        pieces += [clip.samples, gap]
        cursor += len(clip.samples) + len(gap)
        used.append(clip.name)
    return np.concatenate(pieces), words, "librivox:" + "+".join(used)


_LIBRIVOX: list[LibriVoxClip] = []
TAKE_TIMEOUT_S = 900  # a take is seconds of work: this only ends a wait on a worker that is gone


def _init_worker(librivox: list[LibriVoxClip]) -> None:
    global _LIBRIVOX
    _LIBRIVOX = librivox
    try:  # one BLAS thread per worker: the workers already fill the cores
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


def build_take(plan: ItemPlan, librivox: list[LibriVoxClip] | None = None, wavlm_dir=None,
               keep_heard: bool = False) -> BuiltTake:
    """Speech, motion and all features of one planned take (with a WavLM folder: its features too;
    with ``keep_heard``: the recorded speech, for add_wavlm)."""
    from ..engine.motion import pose
    from ..engine.conditions.audio_features import compute_audio_features
    from ..engine.procedural.synthesiser import synthesise
    from ..engine.conditions.text_features import compute_text_features
    from .sentences import SentenceGenerator
    from .speech_synth import synthesise_speech

    speech_seed, sentence_seed, motion_seed, room_seed = (
        int(s) for s in np.random.SeedSequence(plan.seed).generate_state(4))
    if plan.kind == "espeak":
        speech = synthesise_speech(SentenceGenerator(sentence_seed), plan.emotion, plan.voice, seed=speech_seed,
                                   min_seconds=plan.seconds)
        samples, words, source = speech.samples, speech.words, f"espeak:{plan.voice}"
    elif plan.kind == "neural":
        from .neural_speech import synthesise_neural_speech

        speech = synthesise_neural_speech(SentenceGenerator(sentence_seed), plan.emotion, seed=speech_seed,
                                          min_seconds=plan.seconds)
        samples, words, source = speech.samples, speech.words, speech.voice
    elif plan.kind == "librivox":
        clips = librivox if librivox is not None else _LIBRIVOX
        if not clips:
            raise OpenHumanError("the plan has LibriVox takes but no LibriVox clips were loaded")
        samples, words, source = librivox_take(clips, speech_seed, plan.seconds)
    else:
        raise ValueError(f"unknown take kind {plan.kind!r}")
    motion = synthesise(samples, words, plan.emotion, fps=FPS, seed=motion_seed % (2 ** 31))
    if abs(motion.fps - FPS) > 1e-9:
        motion = motion.resampled(FPS)
    motion_features = pose.encode(motion)
    heard = recorded(samples, room_seed)
    audio_features = compute_audio_features(heard)
    n = min(len(motion_features), len(audio_features))
    if abs(len(motion_features) - len(audio_features)) > 2:
        raise RuntimeError(f"take {plan.index}: the synthesiser made {len(motion_features)} frames for "
                           f"{len(audio_features)} frames of audio")
    take = BuiltTake(plan, source, motion_features[:n], audio_features[:n], compute_text_features(words, n), words,
                     heard)
    return add_wavlm(take, wavlm_dir) if wavlm_dir else (take if keep_heard else replace(take, heard=None))


def add_wavlm(take: BuiltTake, wavlm_dir) -> BuiltTake:
    """The take with a local WavLM's features of its recorded speech after its audio features."""
    from ..engine.conditions.audio_features import wavlm_features

    extra = wavlm_features(take.heard, wavlm_dir, len(take.audio))
    return replace(take, audio=np.concatenate([take.audio, extra], 1), heard=None)


def recorded(samples: np.ndarray, room_seed: int) -> np.ndarray:
    """A take's clean speech as the model hears it: through the room its seed draws (training/augment.py)."""
    from .augment import apply_room, draw_room

    rng = np.random.default_rng(room_seed)
    return apply_room(samples, draw_room(rng), rng)


def _build_in_worker(plan: ItemPlan, keep_heard: bool) -> BuiltTake:
    return build_take(plan, keep_heard=keep_heard)


def _fresh_process_pool(workers: int, clips: list[LibriVoxClip]):
    """A pool that builds every take in a new process forked from this one.

    Speech is already spoken in a process of its own (speech_synth.synthesise_speech); a fresh
    process per take also keeps what the other libraries carry between calls (the recogniser
    that aligns LibriVox takes among them) from one take out of the next, so every take depends
    on its plan alone. The modules and caches a take needs are loaded here first, so a fork
    costs milliseconds, not an import. WavLM runs in this process, never in a fork: torch's
    thread pool does not survive a fork once this process has used it (the child hangs).
    """
    import multiprocessing

    from ..engine.conditions.audio_features import compute_audio_features
    from ..engine.procedural.synthesiser import synthesise
    from . import sentences, speech_synth  # noqa: F401

    quiet = np.zeros(16000, np.float32)
    compute_audio_features(quiet)  # fills the mel and DCT caches
    synthesise(quiet, None, EMOTIONS[0], fps=FPS)  # its lazy imports and caches
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"  # spawn: Windows
    return multiprocessing.get_context(method).Pool(workers, _init_worker, (clips,), maxtasksperchild=1)


def _next_take(built) -> BuiltTake:
    """The next take from the pool; a worker that died or hung is an error, not a wait without end."""
    import multiprocessing

    try:
        return built.next(timeout=TAKE_TIMEOUT_S)
    except multiprocessing.TimeoutError:
        raise OpenHumanError(f"no take came back from the corpus workers in {TAKE_TIMEOUT_S} s: a worker process "
                             "died or hangs; build again (with --workers 1 to see its error)") from None


def build_corpus(out, hours: float, seed: int = 0, workers: int | None = None, librivox="auto",
                 progress: bool = True, librivox_every: int = LIBRIVOX_EVERY,
                 item_seconds: tuple[float, float] = ITEM_SECONDS, neural_every: int = 0, wavlm=None) -> dict:
    """Build the corpus into the dataset folder ``out``; returns a summary (hours, takes, seconds taken).

    ``librivox``: "auto" (Debian's pocketsphinx-testdata or ../shared/data/speech when present),
    a folder, or None for espeak speech only. ``wavlm``: a local WavLM folder whose features join the
    audio features (a model trained on them records it and needs the same WavLM to run).
    """
    from tqdm import tqdm

    from ..engine.conditions.audio_features import audio_feature_spec, wavlm_dims
    from ..engine.conditions.text_features import text_feature_spec
    from .speech_synth import EMOTION_PROSODY, VOICES
    from .windows_dataset import DatasetWriter

    if neural_every < 0:
        raise OpenHumanError(f"--neural-every must be 0 (no neural voice) or a positive block count, got {neural_every}")
    started = time.perf_counter()
    folder = find_librivox(None if librivox == "auto" else librivox) if librivox is not None else None
    clips = load_librivox(folder) if folder is not None else []
    setup_seconds = time.perf_counter() - started
    plans = plan_corpus(hours, seed, librivox=bool(clips), librivox_every=librivox_every, item_seconds=item_seconds,
                        neural_every=neural_every)
    if any(p.kind == "neural" for p in plans):
        from .neural_speech import INSTALL_HINT, neural_voice_available

        if not neural_voice_available():
            raise OpenHumanError(f"--neural-every needs the neural training voice: {INSTALL_HINT}")
    workers = max(1, min(workers or os.cpu_count() or 1, len(plans)))
    info = {
        "kind": "openhuman-synth", "seed": seed, "hours_requested": hours, "librivox": str(folder) if folder else None,
        "librivox_every": librivox_every, "neural_every": neural_every, "neural_voice": NEURAL_VOICE if neural_every else None,
        "voices": list(VOICES), "item_seconds": list(item_seconds),
        "prosody": {name: vars(p) for name, p in EMOTION_PROSODY.items()}, "synthesiser": "engine.procedural",
        "rooms": True,  # audio features through training/augment.py rooms (corpus.recorded)
        "wavlm": str(wavlm) if wavlm else None,
    }
    audio_spec = audio_feature_spec(wavlm_dims(wavlm) if wavlm else 0)  # refuses a folder that holds no WavLM
    writer = DatasetWriter(out, fps=FPS, window=WINDOW, seed_frames=SEED_FRAMES, audio_spec=audio_spec,
                           text_spec=text_feature_spec(), emotions=list(EMOTIONS), info=info)
    seconds = 0.0
    bar = tqdm(total=len(plans), desc="building corpus", unit="take", disable=not progress)
    pool = _fresh_process_pool(workers, clips)
    try:
        built = pool.imap(partial(_build_in_worker, keep_heard=bool(wavlm)), plans, chunksize=1)
        for _ in plans:
            take = _next_take(built)
            if wavlm:
                take = add_wavlm(take, wavlm)
            plan = take.plan
            writer.add_take(f"synth-{plan.index:05d}-{plan.emotion.lower()}", take.source, plan.emotion, plan.split,
                            take.motion, take.audio, take.text, take.words)
            seconds += take.seconds
            bar.update(1)
            bar.set_postfix_str(f"{seconds / 3600:.2f} h")
    finally:
        bar.close()
        pool.terminate()
    path = writer.close()
    return {"out": str(path), "takes": len(plans), "hours": seconds / 3600, "librivox": info["librivox"],
            "workers": workers, "setup_seconds": setup_seconds, "wall_seconds": time.perf_counter() - started}


def benchmark_corpus(minutes: float = 2.0, workers: int | None = None) -> dict:
    """Build a small corpus in a temporary folder and extrapolate the time an hour takes (JSON-ready).

    The one-off set-up (aligning the LibriVox clips) is counted once in the extrapolation. CPU
    seconds (this process and its workers) are reported too: on a shared machine the wall clock
    says more about the neighbours than about the code, so ``minutes_per_corpus_hour_idle`` is
    what the CPU time gives on ``cpu_count`` idle cores.
    """
    import resource
    import tempfile

    def cpu() -> float:
        return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                      resource.getrusage(resource.RUSAGE_CHILDREN)))

    cpu_before = cpu()
    with tempfile.TemporaryDirectory() as tmp:
        summary = build_corpus(Path(tmp) / "corpus", minutes / 60, seed=0, workers=workers, progress=False)
    cpu_seconds = cpu() - cpu_before
    corpus_seconds = summary["hours"] * 3600
    building = summary["wall_seconds"] - summary["setup_seconds"]
    rate = corpus_seconds / building
    cores = os.cpu_count() or 1
    return {
        "corpus_minutes": round(corpus_seconds / 60, 2),
        "wall_seconds": round(summary["wall_seconds"], 2),
        "setup_seconds": round(summary["setup_seconds"], 2),
        "corpus_seconds_per_wall_second": round(rate, 2),
        "minutes_per_corpus_hour": round((3600 / rate + summary["setup_seconds"]) / 60, 2),
        "cpu_seconds_per_corpus_second": round(cpu_seconds / corpus_seconds, 4),
        "minutes_per_corpus_hour_idle": round(cpu_seconds / corpus_seconds * 60 / min(cores, summary["workers"]), 2),
        "workers": summary["workers"],
        "cpu_count": cores,
        "librivox": summary["librivox"] is not None,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(benchmark_corpus()))
