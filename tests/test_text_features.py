"""Per-frame text features from word spans: alignment, lexicon, hashed embeddings, spec checks."""
import json
import subprocess
import sys
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openhuman.engine.speech.audio import load_audio
from openhuman.engine.conditions.audio_features import compute_audio_features
from openhuman.engine.errors import ModelFileError
from openhuman.engine.conditions.text_features import (
    DIMS,
    EMBED_DIMS,
    GESTURE_CATEGORIES,
    LEXICON,
    LEXICON_WORDS,
    check_text_feature_spec,
    compute_text_features,
    text_feature_spec,
    word_embedding,
)
from openhuman.engine.speech.transcript import load_transcript
from openhuman.engine.speech.word_text import normalise_word
from openhuman.engine.speech.words import WordSpan
from helpers import SPEECH, feature_part, feature_slice

SPEC = text_feature_spec()
part = partial(feature_part, SPEC)


def test_spec_and_sizes():
    spec = text_feature_spec()
    assert spec["dims"] == DIMS == sum(dims for _, dims in spec["parts"]) <= 128
    assert spec["fps"] == 20 and spec["name"] == "openhuman-text"
    check_text_feature_spec(json.loads(json.dumps(spec)))
    assert compute_text_features([WordSpan("hi", 0, 1)], 30).shape == (30, DIMS)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"name": "bert"}, "cannot compute"),
        ({"version": 7}, "update OpenHuman"),
        ({"lexicon": ["yes", "no"]}, "'lexicon'"),
        ({"parts": [["hashed_embedding", 300]]}, "'parts'"),
        ({"embedding": {"kind": "fasttext"}}, "'embedding'"),
    ],
)
def test_spec_mismatch_is_refused(change, message):
    with pytest.raises(ModelFileError, match=message):
        check_text_feature_spec({**text_feature_spec(), **change})
    with pytest.raises(ModelFileError, match="missing or damaged"):
        check_text_feature_spec(None)


def test_lexicon_covers_the_gesture_categories():
    assert len(LEXICON) >= 30 and set(LEXICON.values()) == set(GESTURE_CATEGORIES)
    assert all(normalise_word(word) == word for word in LEXICON)  # transcripts' words can hit it
    for word in ["i", "you", "this", "here", "big", "round", "all", "between", "no", "never", "yes"]:
        assert word in LEXICON


@pytest.mark.parametrize("spans", [None, []])
def test_no_transcript_sets_only_the_no_text_flag(spans):
    features = compute_text_features(spans, 12)
    assert (part(features, "no_text") == 1).all()
    assert not np.delete(features, feature_slice(SPEC, "no_text"), axis=1).any()


def test_words_land_on_their_frames():
    spans = [WordSpan("Look", 0.5, 0.8), WordSpan("here!", 1.0, 1.5), WordSpan("a", 2.01, 2.03)]
    features = compute_text_features(spans, 60)
    active = part(features, "word_active")[:, 0]
    assert np.flatnonzero(active).tolist() == [*range(10, 16), *range(20, 30), 40]
    assert np.flatnonzero(part(features, "word_onset")[:, 0]).tolist() == [10, 20, 40]
    np.testing.assert_allclose(part(features, "word_position")[20:30, 0], np.arange(10) / 10)
    assert not part(features, "no_text").any()
    assert not features[16:20].any() and not features[30:40].any()  # pauses are empty
    here = LEXICON_WORDS.index("here")
    assert (part(features, "lexicon")[20:30, here] == 1).all() and part(features, "lexicon")[20:30].sum() == 10
    deictic = GESTURE_CATEGORIES.index("deictic")
    assert (part(features, "category")[20:30, deictic] == 1).all() and not part(features, "category")[10:16].any()
    np.testing.assert_array_equal(part(features, "hashed_embedding")[10], word_embedding("look"))


def test_later_overlapping_word_wins_and_frames_past_the_end_are_dropped():
    spans = [WordSpan("yes", 0.0, 1.0), WordSpan("no", 0.5, 0.7), WordSpan("late", 4.0, 9.0)]
    features = compute_text_features(spans, 40)
    lexicon = part(features, "lexicon")
    assert (lexicon[10:14, LEXICON_WORDS.index("no")] == 1).all() and not lexicon[10:14, LEXICON_WORDS.index("yes")].any()
    assert (lexicon[:10, LEXICON_WORDS.index("yes")] == 1).all()
    assert features.shape == (40, DIMS)


def test_embedding_is_unit_length_and_independent_of_python_hash_seed():
    words = ["gesture", "hello", "\u00fcber", "42", "don't"]
    vectors = np.stack([word_embedding(word) for word in words])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-6)
    assert vectors.shape == (5, EMBED_DIMS)
    code = (
        "import json; from openhuman.engine.conditions.text_features import word_embedding; "
        f"print(json.dumps([word_embedding(w).tolist() for w in {words!r}]))"
    )
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], env={"PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True)
        np.testing.assert_array_equal(np.array(json.loads(out.stdout), np.float32), vectors)


def test_related_spellings_are_closer_than_unrelated_words():
    pairs = [("gesture", "gestures"), ("speak", "speaking"), ("happy", "unhappy"), ("move", "moved"), ("point", "pointing")]
    unrelated = [("gesture", "banana"), ("speak", "table"), ("happy", "orbit"), ("move", "clock"), ("point", "wisdom")]
    related = np.mean([word_embedding(a) @ word_embedding(b) for a, b in pairs])
    other = np.mean([word_embedding(a) @ word_embedding(b) for a, b in unrelated])
    assert related > 0.4 and abs(other) < 0.25


words = st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=12)
spans = st.lists(
    st.tuples(words, st.floats(0, 20, allow_nan=False), st.floats(0, 3, allow_nan=False)).map(
        lambda t: WordSpan(t[0], t[1], t[1] + t[2])
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(spans=spans, n_frames=st.integers(0, 300))
def test_any_spans_give_finite_well_formed_features(spans, n_frames):
    features = compute_text_features(spans, n_frames)
    assert features.shape == (n_frames, DIMS) and features.dtype == np.float32 and np.isfinite(features).all()
    active = part(features, "word_active")[:, 0] == 1
    norms = np.linalg.norm(part(features, "hashed_embedding"), axis=1)
    np.testing.assert_allclose(norms[active], 1, rtol=1e-5)
    assert not features[~active][:, feature_slice(SPEC, "word_active").start:].any()
    position = part(features, "word_position")
    assert (position >= 0).all() and (position <= 1).all()


def test_real_transcript_to_text_and_audio_features_of_equal_length():
    wav = SPEECH / "sense_and_sensibility_01_austen_64kb-0880.wav"
    if not wav.exists():
        pytest.skip(f"no LibriVox speech in {SPEECH}")
    samples = load_audio(wav)
    audio = compute_audio_features(samples)
    text = compute_text_features(load_transcript("He was not an ill disposed young man.", audio=samples), len(audio))
    assert text.shape == (len(audio), DIMS)
    active = part(text, "word_active")[:, 0]
    assert part(text, "word_onset").sum() == 8 and 0.4 < active.mean() < 1
    negation = GESTURE_CATEGORIES.index("negation")
    assert part(text, "category")[:, negation].any()  # "not"
