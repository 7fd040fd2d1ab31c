"""One entry point from a voice clip to motion, shared by the command line and the Blender operators.

`generate(audio_path, ...)` reads the clip, finds its words (given transcript, forced
alignment or recognition), and produces a Motion on the 75-joint skeleton at the model's
20 fps, in metres: with the diffusion model (default) or the procedural synthesiser.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .settings import METHODS, GammaCurve, GenerateOptions, check_generate_options  # noqa: F401  (re-exported)
from .errors import OpenHumanError
from .motion.motion import Motion
from .constants import BUNDLED_MODEL, MODEL_FPS
from .diffusion.presets import QUALITY  # noqa: F401  (re-exported)
from .speech.words import WordSpan

@dataclass
class GenerationResult:
    motion: Motion
    words: list[WordSpan]
    options: GenerateOptions
    info: dict = field(default_factory=dict)


Progress = Callable[[float, str], None]

_model_cache: dict = {}


def load_model(path=None, device: str = "auto", wavlm=None):
    """The model bundle for a path (cached per path and device); `wavlm`: the local WavLM folder a model
    trained with WavLM features needs (refused with what to do when it is missing)."""
    from .conditions.audio_features import check_audio_feature_spec
    from .diffusion.model_checks import check_pose_codec
    from .diffusion.modelfile import load_model_file
    from .conditions.text_features import check_text_feature_spec
    from .diffusion.device import pick_device

    path = Path(path) if path else BUNDLED_MODEL
    dev = pick_device(device)
    key = (str(path.resolve()) if path.exists() else str(path), str(dev))
    if key not in _model_cache:
        if not path.exists():
            hint = "" if path != BUNDLED_MODEL else " (the bundled model is missing: use --method procedural, or --model FILE)"
            raise OpenHumanError(f"model file {path} not found{hint}")
        checks = [lambda m: check_audio_feature_spec(m["audio_features"], wavlm),
                  lambda m: check_text_feature_spec(m["text_features"]), check_pose_codec]
        _model_cache.clear()
        _model_cache[key] = load_model_file(path, map_location=dev, spec_checks=checks)
        return _model_cache[key]
    check_audio_feature_spec(_model_cache[key].metadata["audio_features"], wavlm)  # this call's WavLM folder
    return _model_cache[key]


def find_words(samples16k: np.ndarray, transcript, progress: Progress | None = None, cancel=None, cache=None):
    """Word spans for the clip: from the transcript (file, text, or a list of WordSpan used as they
    are), else recognised from the speech.

    cache: a WordsCache (engine/speech/words_cache.py) to reuse words found before for the same clip and
    transcript, or None to always find them.
    """
    from .speech.words_from_speech import words_for_clip

    on_progress = None
    if progress is not None:
        on_progress = lambda done, total: progress(0.05 + 0.05 * done / max(total, 1e-9), "finding words")  # noqa: E731
    if isinstance(transcript, list):  # words the user has already corrected
        from .speech.words_from_speech import WordsReport

        return list(transcript), WordsReport("edited words", words=len(transcript))
    key = None
    if cache is not None:
        from .speech.words_cache import words_key

        key = words_key(samples16k, transcript)
        cached = _cached_words(cache, key)
        if cached is not None:
            return cached
    spans, report = words_for_clip(samples16k, transcript, progress=on_progress, cancel=cancel)
    if key is not None:
        cache.put(key, spans, report.to_dict())
    return spans, report


def _cached_words(cache, key: str):
    from dataclasses import fields

    from .speech.words_from_speech import WordsReport

    hit = cache.get(key)
    if hit is None:
        return None
    spans, stored = hit
    known = {f.name for f in fields(WordsReport)}
    try:
        report = WordsReport(**{k: v for k, v in stored.items() if k in known})
    except TypeError:  # stored by a build whose report had other fields: find the words again
        return None
    report.notes = [*report.notes, "words reused from the cache"]
    return spans, report


def generate(audio_path, transcript=None, options: GenerateOptions | None = None,
             progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
             words_cache=None, constraints=None) -> GenerationResult:
    """Motion for a whole clip. progress(fraction 0..1, stage text); cancel() -> True stops;
    words_cache: a WordsCache to find the clip's words only once (see find_words);
    constraints: an engine.directing.Constraints (a stretch to re-make, poses to start and end on)."""
    from .speech.audio import load_audio
    from .errors import Cancelled

    options = options or GenerateOptions()
    report = progress or (lambda fraction, stage: None)
    check_generate_options(options)

    def check_cancel():
        if cancel is not None and cancel():
            raise Cancelled()

    report(0.0, "reading audio")
    samples = load_audio(audio_path)
    check_cancel()
    if options.method != "model" or options.listening:
        from .constants import DEFAULT_EMOTIONS

        _check_emotions(options, list(DEFAULT_EMOTIONS))
    if options.listening:  # a listener's motion does not depend on the words
        from .speech.words_from_speech import WordsReport

        bundle, (words, words_report), features = None, ([], WordsReport("not needed: listening")), None
    else:
        bundle, (words, words_report), features = _model_and_words(samples, transcript, options, report, cancel,
                                                                   words_cache)
    check_cancel()
    result = generate_for_words(samples, words, options, report, cancel, bundle=bundle, constraints=constraints,
                                audio_features=features)
    result.info["words"] = words_report.summary()
    return result


def _model_and_words(samples, transcript, options, report, cancel, words_cache):
    """(model bundle or None, (words, report), audio features or None): the words are found on a thread
    while the model loads, so that recognition or alignment in child processes (engine/speech/
    recognition_processes.py, alignment_process.py) overlaps it; when the words take longer than the
    model, the model's audio features are computed while they are awaited.

    Neither the features nor the network's frozen graphs start earlier: made beside the recognisers'
    processes, they slowed them more than they saved (a 66 s clip, 4 runs each, medians: the features from
    the start 8.0 s against 7.3 s audio only, 4.7 s both with the transcript, 4.3 s against 4.4 s words
    cached; the graphs made as the model loads 10.7 s against 7.8 s audio only, 5.4 s against 5.0 s with
    the transcript)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    failed = threading.Event()  # the model did not load: stop finding words at once
    stop = lambda: failed.is_set() or (cancel is not None and cancel())  # noqa: E731
    report(0.02, "loading model, finding words" if options.method == "model" else "finding words")
    with ThreadPoolExecutor(1, thread_name_prefix="openhuman-words") as pool:
        words = pool.submit(find_words, samples, transcript, progress=report, cancel=stop, cache=words_cache)
        bundle = None
        if options.method == "model":
            try:
                bundle = load_model(options.model, options.device, options.wavlm)
                _check_emotions(options, bundle.emotions)
                features = None if words.done() else _audio_features(samples, bundle, options)
            except BaseException:
                failed.set()
                raise
            return bundle, words.result(), features
        return bundle, words.result(), None


def generate_for_words(samples16k: np.ndarray, words: list[WordSpan], options: GenerateOptions | None = None,
                       progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
                       bundle=None, constraints=None, audio_features=None) -> GenerationResult:
    """Motion for 16 kHz samples whose words are already known (the second half of `generate`);
    ``audio_features``: the bundle's audio features of these samples when already computed."""
    from . import directing

    options = options or GenerateOptions()
    check_generate_options(options)
    report = progress or (lambda fraction, stage: None)
    constraints = constraints or directing.Constraints()
    if options.method == "model" and not options.listening:
        bundle = bundle or load_model(options.model, options.device, options.wavlm)
    directing.check(constraints, _skeleton_of(bundle), len(samples16k) / 16000.0)
    if options.listening:
        from .procedural.synthesiser import listen

        report(0.2, "listening")
        emotion = options.emotion if not options.emotion_b else _blend_weights(options)
        motion = directing.finish(listen(samples16k, emotion, fps=MODEL_FPS, seed=options.seed), constraints)
        report(1.0, "done")
        return GenerationResult(motion, words, options, {"method": "listening"})
    if options.method == "procedural":
        from .constants import DEFAULT_EMOTIONS

        _check_emotions(options, list(DEFAULT_EMOTIONS))
        report(0.2, "synthesising gestures")
        from .procedural.synthesiser import synthesise
        emotion = options.emotion if not options.emotion_b else _blend_weights(options)
        motion = directing.finish(synthesise(samples16k, words, emotion, fps=MODEL_FPS, seed=options.seed), constraints)
        report(1.0, "done")
        return GenerationResult(motion, words, options, {"method": "procedural"})
    _check_emotions(options, bundle.emotions)
    return _generate_with_model(bundle, samples16k, words, options, report, cancel, constraints, audio_features)


def _skeleton_of(bundle):
    """The skeleton motion is made on: the model's, or the procedural synthesiser's."""
    from .motion.motion import Skeleton
    from .motion.skeleton_zeggs import zeggs_skeleton

    return zeggs_skeleton() if bundle is None else Skeleton.from_dict(bundle.metadata["skeleton"])


def _check_emotions(options: GenerateOptions, labels: list[str]) -> None:
    folded = [label.casefold() for label in labels]
    for name in (options.emotion, options.emotion_b):
        if name and name.casefold() not in folded:
            raise OpenHumanError(f"unknown emotion {name!r}; this model knows: {', '.join(labels)}")


def _blend_weights(options: GenerateOptions) -> dict[str, float]:
    gamma = options.gamma.values if isinstance(options.gamma, GammaCurve) else options.gamma
    g = float(np.mean(gamma))
    return {options.emotion: g, options.emotion_b: 1.0 - g}


def _gamma_for_frames(gamma, n_frames: int):
    """A number stays a number; a curve in seconds is read per model frame; per-frame values are
    stretched to exactly n_frames values."""
    if isinstance(gamma, GammaCurve):
        return gamma.per_frame(n_frames)
    if not np.ndim(gamma):
        return float(gamma)
    curve = np.asarray(gamma, dtype=np.float32).ravel()
    if len(curve) == n_frames:
        return curve
    if len(curve) == 1:
        return float(curve[0])
    return np.interp(np.linspace(0, len(curve) - 1, n_frames), np.arange(len(curve)), curve).astype(np.float32)


class _LastAudioFeatures:
    """The last clip's audio features, by its samples' content and the model's feature spec: Generate again
    in an open Blender (another emotion, seed or γ) reuses them instead of computing them again."""

    def __init__(self):
        import threading

        self._lock = threading.Lock()  # batch workers generate on threads
        self.key, self.features, self.hits = None, None, 0

    def get(self, samples, spec: dict, wavlm=None, threads: int = 1) -> np.ndarray:
        import hashlib
        import json

        from .conditions.audio_features import compute_audio_features_for_spec

        samples = np.ascontiguousarray(samples)
        key = (hashlib.blake2b(samples.view(np.uint8), digest_size=16).hexdigest(), str(samples.dtype),
               json.dumps(spec, sort_keys=True), str(wavlm))
        with self._lock:
            if key == self.key:
                self.hits += 1
                return self.features.copy()  # the caller may change its copy
        features = compute_audio_features_for_spec(samples, spec, wavlm, threads)
        with self._lock:
            self.key, self.features = key, features
        return features.copy()


last_audio_features = _LastAudioFeatures()


def _audio_features(samples, bundle, options, threads: int = 1) -> np.ndarray:
    return last_audio_features.get(samples, bundle.metadata["audio_features"], options.wavlm, threads)


# Threads for the audio features once nothing else runs: while words are found they take one, so as not to
# slow the recognisers' processes (see _model_and_words).
FEATURE_THREADS = max(1, min(4, os.cpu_count() or 1))


def _generate_with_model(bundle, samples, words, options, report, cancel, constraints,
                         audio_feats=None) -> GenerationResult:
    from . import directing
    from .motion.pose import decode
    from .motion.motion import Skeleton
    from .conditions.text_features import compute_text_features

    report(0.1, "audio features")
    audio_feats = _audio_features(samples, bundle, options, FEATURE_THREADS) if audio_feats is None else audio_feats
    text_feats = compute_text_features(words, len(audio_feats))
    steps = options.steps

    def on_step(p):
        report(0.12 + 0.83 * p.fraction, f"window {p.window + 1} of {p.n_windows}")

    gamma = _gamma_for_frames(options.gamma, len(audio_feats))
    known, known_mask, first_seed = directing.conditioning(constraints, len(audio_feats), bundle.fps)
    from .diffusion.windowed_sampling import generate_motion_features

    # Sampling starts now, not at the first step's end: that step also makes the network's frozen graph
    # (0.3 s), which --timings otherwise counted as audio features.
    report(0.12, "sampling")
    features = generate_motion_features(
        bundle, audio_feats, text_feats, options.emotion, gamma=gamma, sampler=options.sampler, steps=steps,
        seed=options.seed, device=options.device, precision=options.precision,
        strength=options.intensity * options.guidance_gain, progress=on_step, cancel=cancel,
        emotion_b=options.emotion_b or None, known=known, known_mask=known_mask, first_seed=first_seed,
    )
    report(0.97, "decoding motion")
    skeleton = Skeleton.from_dict(bundle.metadata["skeleton"])
    motion = directing.finish(decode(_plausible(features, bundle), skeleton, bundle.fps), constraints)
    report(1.0, "done")
    return GenerationResult(motion, words, options, {"method": "model", "model": str(bundle.path)})


MAX_ROOT_DISTANCE_M = 50.0  # a speaker gestures in place; farther means a damaged model


def _plausible(features: np.ndarray, bundle) -> np.ndarray:
    """The network's output, refused when it is not finite or puts the body absurdly far away."""
    from .errors import ModelFileError
    from .motion.pose import SLICES

    if not np.isfinite(features).all():
        raise ModelFileError(f"{bundle.path}: the model produced NaN or infinite poses; the model file is damaged "
                             "(use the bundled model, or --method procedural)")
    root = np.asarray(features)[:, SLICES["ROOT_POS"]]
    if np.abs(root).max() > MAX_ROOT_DISTANCE_M:
        raise ModelFileError(f"{bundle.path}: the model put the body {np.abs(root).max():.3g} m away; its output is "
                             "not plausible and the model file is damaged (use the bundled model)")
    return features
