"""The six styles against captured emotional motion (engine/style_reference.py), blends between
styles, and separability of the styles by a logistic regression on window descriptors."""
import math
from pathlib import Path

import numpy as np
import pytest

from openhuman.engine.audio import load_audio
from openhuman.engine.procedural import STYLE_NAMES, analyse_prosody, synthesise
from openhuman.training.style_checks import (DESCRIPTOR_NAMES, NEGLIGIBLE, agreement, confusion_matrix, fit_logistic,
                                             predict_logistic, relative, style_quantities, window_descriptors)

reference = pytest.importorskip("openhuman.engine.style_reference",
                                reason="engine/style_reference.py (the captured style table) is not there yet")
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


@pytest.mark.parametrize("pair", [("Happy", "Sad"), ("Angry", "Relaxed"), ("Neutral", "Old")])
def test_a_half_and_half_blend_lands_between_the_two_styles(clips, pair):
    a, b = pair
    qa, qb = _relative_quantities(clips[:3], a), _relative_quantities(clips[:3], b)
    mid = _relative_quantities(clips[:3], {a: 0.5, b: 0.5})
    outside = []
    print(f"\n{a}/{b} blend: where it lands between them (0 = {a}, 1 = {b})")
    for q in reference.KIND:
        lo, hi = min(qa[q], qb[q]), max(qa[q], qb[q])
        slack = max(0.2 * (hi - lo), NEGLIGIBLE[q])
        where = (mid[q] - qa[q]) / (qb[q] - qa[q]) if abs(qb[q] - qa[q]) > 1e-9 else float("nan")
        print(f"  {q}: {_shown(q, qa[q])} | {_shown(q, mid[q])} | {_shown(q, qb[q])}  at {where:.2f}")
        if not lo - slack <= mid[q] <= hi + slack:
            outside.append(q)
    assert not outside, f"the {a}/{b} blend falls outside the two styles on {outside}"


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
