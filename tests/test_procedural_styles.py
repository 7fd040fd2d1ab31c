"""The six styles against captured emotional motion (training/style_reference.py), blends between
styles, and separability of the styles by a logistic regression on window descriptors."""
import math
from pathlib import Path

import numpy as np
import pytest

from openhuman.engine.speech.audio import load_audio
from openhuman.engine.procedural import STYLE_NAMES, analyse_prosody, synthesise
from openhuman.training.style_checks import (DESCRIPTOR_NAMES, NEGLIGIBLE, agreement, confusion_matrix, fit_logistic,
                                             predict_logistic, relative, style_quantities, window_descriptors)

reference = pytest.importorskip("openhuman.training.style_reference",
                                reason="training/style_reference.py (the captured style table) is not there yet")
SEEDS = (0, 1)


@pytest.fixture(scope="module")
def clips(speech_dir, zeggs_dir) -> list:
    """Prosody of several real speech recordings: the LibriVox sentences and the ZeroEGGs monologue."""
    paths = sorted(Path(speech_dir).glob("*.wav")) + [Path(zeggs_dir) / "067_Speech_2_part1.wav"]
    assert len(paths) >= 4
    return [analyse_prosody(load_audio(p)) for p in paths]


def _relative_quantities(clips, emotion) -> dict[str, float]:
    """Mean over clips and seeds of (emotion - Neutral) per quantity (log ratios for ratios)."""
    rows = []
    for prosody in clips:
        for seed in SEEDS:
            ours = style_quantities(synthesise(None, None, emotion, seed=seed, prosody=prosody))
            base = style_quantities(synthesise(None, None, "Neutral", seed=seed, prosody=prosody))
            rows.append(relative(ours, base, reference.KIND))
    return {q: float(np.mean([r[q] for r in rows])) for q in reference.KIND}


def _captured(emotion: str, q: str) -> float:
    value = reference.EMOTIONS[emotion][q]
    return math.log(value) if reference.KIND[q] == "ratio" else value


def _shown(q: str, value: float) -> str:
    return f"x{math.exp(value):.2f}" if reference.KIND[q] == "ratio" else f"{value:+.3f}"


def test_every_style_differs_from_neutral_as_the_captures_do(clips):
    failures = []
    print("\nquantity: ours / captured (ratios as x, offsets as +)")
    for emotion in STYLE_NAMES[1:]:
        ours = _relative_quantities(clips, emotion)
        cells = []
        for q in reference.KIND:
            ok, how = agreement(ours[q], _captured(emotion, q), q)
            cells.append(f"{q}={_shown(q, ours[q])}/{_shown(q, _captured(emotion, q))}{'' if ok else ' FAIL'}")
            if not ok:
                failures.append((emotion, q, how))
        print(emotion, "  ".join(cells))
    assert not failures, f"style differences that disagree with the captured table: {failures}"


def test_half_and_half_blends_land_between_the_two_styles(clips):
    """For every pair of styles, each quantity of the 50/50 blend should lie between the two styles'
    values (give or take a fifth of their distance or the quantity's noise level). Parameters that
    compensate each other (e.g. how often the hands rest and how high they are held) make a few
    land a little outside: at least 90% must be between, none far outside."""
    import itertools

    few = clips[:3]
    cache = {}

    def rel(emotion):
        key = repr(emotion)
        if key not in cache:
            cache[key] = _relative_quantities(few, emotion)
        return cache[key]

    inside, far, where_all = 0, [], []
    pairs = list(itertools.combinations(STYLE_NAMES, 2))
    for a, b in pairs:
        qa, qb, mid = rel(a), rel(b), rel({a: 0.5, b: 0.5})
        cells = []
        for q in reference.KIND:
            lo, hi = min(qa[q], qb[q]), max(qa[q], qb[q])
            slack = max(0.2 * (hi - lo), NEGLIGIBLE[q])
            outside = max(lo - slack - mid[q], mid[q] - hi - slack, 0.0)
            inside += outside == 0.0
            if outside > 3.0 * NEGLIGIBLE[q]:
                far.append((a, b, q))
            where = (mid[q] - qa[q]) / (qb[q] - qa[q]) if hi - lo > NEGLIGIBLE[q] else float("nan")
            where_all.append(where)
            cells.append(f"{q[:10]}={where:+.2f}{'' if outside == 0.0 else '!'}")
        print(f"\n{a}/{b} (0 = {a}, 1 = {b}): " + " ".join(cells))
    share = inside / (len(pairs) * len(reference.KIND))
    print(f"\nblend inside its two styles for {share:.1%} of pair-quantities; median position "
          f"{np.nanmedian(where_all):.2f}")
    assert share >= 0.9 and not far, (share, far)


SENTENCE_SEEDS_TRAIN, SENTENCE_SEEDS_TEST = (11, 12, 13), (21, 22)


def _corpus(sentence_seeds):
    """Window descriptors and style labels from espeak-ng speech spoken in each style's prosody."""
    from openhuman.training.sentences import generate_sentences
    from openhuman.training.speech_synth import synthesise_speech

    x, y = [], []
    for label, emotion in enumerate(STYLE_NAMES):
        for seed in sentence_seeds:
            speech = synthesise_speech(generate_sentences(seed, 40), emotion, seed=seed, min_seconds=14.0)
            motion = synthesise(speech.samples, speech.words, emotion, seed=seed)
            d = window_descriptors(motion, window_s=4.0, hop_s=2.0)
            x.append(d)
            y += [label] * len(d)
    return np.concatenate(x), np.array(y)


def test_the_six_styles_are_told_apart_on_held_out_windows():
    x_train, y_train = _corpus(SENTENCE_SEEDS_TRAIN)
    x_test, y_test = _corpus(SENTENCE_SEEDS_TEST)
    assert x_train.shape[1] == len(DESCRIPTOR_NAMES) and np.isfinite(x_train).all()
    model = fit_logistic(x_train, y_train, len(STYLE_NAMES))
    predicted = predict_logistic(model, x_test)
    accuracy = float((predicted == y_test).mean())
    matrix = confusion_matrix(y_test, predicted, len(STYLE_NAMES))
    print(f"\nheld-out accuracy {accuracy:.3f} on {len(y_test)} windows; confusion (rows: true, columns: predicted)")
    print("         " + " ".join(f"{s[:7]:>7}" for s in STYLE_NAMES))
    for name, row in zip(STYLE_NAMES, matrix):
        print(f"{name:>8} " + " ".join(f"{v:7d}" for v in row))
    assert accuracy >= 0.9
