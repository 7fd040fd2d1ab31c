"""Words that call for a semantic gesture: category, gesture template and the gesture a viewer should see.

The word set and categories are those of engine/text_features.LEXICON (the model's text
features), so the synthesiser gestures exactly on the words the model is told about.
`expected` names the motion detector (training/gesture_detectors.py) that must find the
gesture within the word; `also` lists further detectors the gesture satisfies.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..speech.word_text import normalise_word


@dataclass(frozen=True)
class LexiconEntry:
    word: str
    category: str  # deictic, iconic, metaphoric, negation, affirmation
    template: str  # key of gestures.TEMPLATES
    shape: str  # main hand shape (hands.SHAPES)
    expected: str  # detector that must fire within the word
    also: tuple[str, ...] = ()


def _entries(category: str, words: str, template: str, shape: str, expected: str, also=()):
    return {w: LexiconEntry(w, category, template, shape, expected, tuple(also)) for w in words.split()}


LEXICON: dict[str, LexiconEntry] = {
    # deictic: pointing at the speaker, the listener, or something near or far
    **_entries("deictic", "i me my", "self", "open", "point_self"),
    **_entries("deictic", "we us our", "self_both", "open", "point_self"),
    **_entries("deictic", "you your", "point_forward", "point", "point_out"),
    **_entries("deictic", "this these here", "point_near", "point", "point_out"),
    **_entries("deictic", "that those", "point_aside", "point", "point_out"),
    **_entries("deictic", "there", "point_far", "point", "point_out"),
    # iconic: the hands draw the size or shape or direction
    **_entries("iconic", "big huge", "frame_big", "cup", "hands_apart"),
    **_entries("iconic", "wide long", "spread_flat", "open", "hands_apart"),
    **_entries("iconic", "small tiny little", "pinch_small", "pinch", "hands_together"),
    **_entries("iconic", "tall high", "raise_flat", "open", "hand_raised"),
    **_entries("iconic", "up", "raise_point", "point", "hand_raised"),
    **_entries("iconic", "down low", "lower_flat", "open", "hand_lowered"),
    **_entries("iconic", "round around", "circle", "cup", "hand_circle"),
    # metaphoric: abstract ideas placed in gesture space
    **_entries("metaphoric", "all everything everyone", "sweep_out", "open", "hands_apart"),
    **_entries("metaphoric", "many more", "spread_many", "open", "hands_apart"),
    **_entries("metaphoric", "together between", "bring_together", "cup", "hands_together"),
    **_entries("metaphoric", "always", "sweep_side", "open", "lateral_sweep"),
    **_entries("metaphoric", "idea think first", "raise_index", "point", "hand_raised"),
    **_entries("metaphoric", "maybe", "shrug", "open", "palms_up"),
    **_entries("metaphoric", "future", "push_forward", "open", "hand_forward"),
    **_entries("metaphoric", "past", "throw_back", "open", "hand_backward"),
    # negation: a head shake and a sweeping flat hand
    **_entries("negation", "no not never nothing nobody none don't can't won't", "negate", "open", "head_shake",
               ("lateral_sweep",)),
    # affirmation: a nod
    **_entries("affirmation", "yes yeah sure okay absolutely exactly definitely", "affirm", "relaxed", "nod"),
}

CATEGORIES = ("deictic", "iconic", "metaphoric", "negation", "affirmation")


def lookup(word: str) -> LexiconEntry | None:
    """The entry for a spoken word (any case or punctuation), or None."""
    return LEXICON.get(normalise_word(word))
