"""Pronunciations for words the recogniser's dictionary lacks, in its CMU (ARPABET) phone set.

Order of attempts for a word: the pocketsphinx English dictionary itself; numbers spelt out
("42" -> "forty two"); a dictionary stem plus an English suffix ("dashwoods" = "dashwood" + Z) or
two dictionary words joined ("moonboat" = "moon" + "boat"); letters without a vowel spelt out ("BBC");
finally ordered letter-to-sound rules (in the style of the NRL rules of Elovitz et al., 1976).
A word with no Latin letter or digit has no pronunciation (None): the caller spreads it over
its neighbours' gap instead of dropping it. So has a token of more than MAX_WORD_LETTERS characters
(the dictionary's longest word has 28): it is not a word, and the rules would take time
growing with the square of its length.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

PHONES = frozenset(
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH".split()
)
_VOWEL_PHONES = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
MAX_WORD_LETTERS = 40


def dictionary_path() -> Path:
    """The English pronunciation dictionary inside the pocketsphinx wheel."""
    from pocketsphinx import get_model_path

    return Path(get_model_path("en-us")) / "cmudict-en-us.dict"


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, tuple[str, ...]]:
    """Word -> first pronunciation, from the pocketsphinx dictionary (lower-case keys)."""
    lexicon: dict[str, tuple[str, ...]] = {}
    with open(dictionary_path(), encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and not parts[0].endswith(")"):
                lexicon[parts[0]] = tuple(parts[1:])
    return lexicon


def pronounce(word: str, lexicon: dict[str, tuple[str, ...]] | None = None) -> list[str] | None:
    """ARPABET phones for one written word, or None when it has no Latin letter or digit."""
    if too_long(word):
        return None
    lexicon = load_lexicon() if lexicon is None else lexicon
    plain = _latin(word)
    if plain.lower() in lexicon:
        return list(lexicon[plain.lower()])
    phones: list[str] = []
    for piece in re.findall(r"[A-Za-z']*[A-Za-z][A-Za-z']*|[0-9]+", plain):
        if piece.isdigit():
            for number_word in number_words(piece):
                phones += lexicon[number_word]
        else:
            phones += _pronounce_letters(piece, lexicon)
    return phones or None


def too_long(word: str) -> bool:
    """Whether a token has more than MAX_WORD_LETTERS characters: not a word to pronounce."""
    return len(word) > MAX_WORD_LETTERS


def _latin(word: str) -> str:
    """Accents removed ("café" -> "cafe"), typographic apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", word.replace("\u2019", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _pronounce_letters(raw: str, lexicon) -> list[str]:
    piece = raw.lower().strip("'")
    if piece in lexicon:
        return list(lexicon[piece])
    if len(piece) == 1 or not re.search(r"[aeiouy]", piece):
        return spell_letters(piece, lexicon)
    return _from_dictionary_parts(piece, lexicon) or letter_to_sound(piece)


def spell_letters(letters: str, lexicon=None) -> list[str]:
    """Phones of the letter names, as in an acronym read out ("bbc" -> B IY B IY S IY)."""
    lexicon = load_lexicon() if lexicon is None else lexicon
    phones: list[str] = []
    for letter in letters:
        if letter.isalpha() and letter in lexicon:
            phones += lexicon[letter] if letter != "a" else ["EY"]
    return phones


_SUFFIXES = ("'s", "s", "es", "ed", "d", "ing", "er", "ers", "est", "ly", "ness", "less", "ful", "y", "ish", "ism", "ist")


def _from_dictionary_parts(word: str, lexicon) -> list[str] | None:
    """A dictionary stem plus a regular suffix, or two dictionary words of 3+ letters joined."""
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3:
            for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else None):
                if candidate and candidate in lexicon:
                    return _add_suffix(list(lexicon[candidate]), suffix)
    best = None
    for cut in range(3, len(word) - 2):
        left, right = word[:cut], word[cut:]
        if left in lexicon and right in lexicon:
            score = min(len(left), len(right))
            if best is None or score > best[0]:
                best = (score, list(lexicon[left]) + list(lexicon[right]))
    return best[1] if best else None


def _add_suffix(stem: list[str], suffix: str) -> list[str]:
    last = stem[-1]
    if suffix in ("s", "'s", "es"):
        if last in ("S", "Z", "SH", "ZH", "CH", "JH"):
            return stem + ["IH", "Z"]
        return stem + (["S"] if last in ("P", "T", "K", "F", "TH") else ["Z"])
    if suffix in ("ed", "d"):
        if last in ("T", "D"):
            return stem + ["IH", "D"]
        return stem + (["T"] if last in ("P", "K", "F", "TH", "S", "SH", "CH") else ["D"])
    endings = {"ing": ["IH", "NG"], "er": ["ER"], "ers": ["ER", "Z"], "est": ["AH", "S", "T"], "ly": ["L", "IY"],
               "ness": ["N", "AH", "S"], "less": ["L", "AH", "S"], "ful": ["F", "AH", "L"], "y": ["IY"],
               "ish": ["IH", "SH"], "ism": ["IH", "Z", "AH", "M"], "ist": ["IH", "S", "T"]}
    return stem + endings[suffix]


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(digits: str) -> list[str]:
    """English words for a digit string: years as "nineteen ninety", cardinals below a billion, else digits."""
    if len(digits) > 1 and digits.startswith("0") or len(digits) > 9:
        return [_ONES[int(d)] for d in digits]
    value = int(digits)
    if len(digits) == 4 and (1100 <= value <= 1999 or 2010 <= value <= 2099) and value % 100:
        tail = value % 100
        return _below_thousand(value // 100) + (["oh", _ONES[tail]] if tail < 10 else _below_thousand(tail))
    if value == 0:
        return ["zero"]
    words: list[str] = []
    for size, name in ((1_000_000, "million"), (1000, "thousand")):
        if value >= size:
            words += _below_thousand(value // size) + [name]
            value %= size
    return words + (_below_thousand(value) if value else [])


def _below_thousand(value: int) -> list[str]:
    words: list[str] = []
    if value >= 100:
        words += [_ONES[value // 100], "hundred"]
        value %= 100
    if value >= 20:
        words.append(_TENS[value // 10])
        value %= 10
        if value:
            words.append(_ONES[value])
    elif value:
        words.append(_ONES[value])
    return words


# Letter-to-sound rules (letter_to_sound.rules): "left[match]right=PHONES", tried in order for the letter
# under the cursor.
# Context symbols: ' ' word edge, '#' one or more vowels, ':' zero or more consonants, '^' one
# consonant, '.' a voiced consonant, '+' E I or Y, '%' a suffix (ER E ES ED ING ELY),
# '&' a sibilant, '@' a consonant after which U sounds UW.
RULES_FILE = Path(__file__).with_name("letter_to_sound.rules")  # one rule per line, in order

_VOWELS = set("aeiouy")
_VOICED = set("bdvgjlmnrwz")
_FRONT = set("eiy")
_SIBILANTS = ("ch", "sh", "s", "c", "g", "z", "x", "j")
_LONG_U_AFTER = ("th", "ch", "sh", "t", "s", "r", "d", "l", "z", "n", "j")
_SUFFIX_CONTEXT = ("ing", "ely", "er", "es", "ed", "e")


def _parse_rules() -> dict[str, list[tuple[str, str, str, list[str]]]]:
    rules: dict[str, list] = {}
    for line in RULES_FILE.read_text(encoding="utf-8").strip("\n").split("\n"):
        left, rest = line.split("[", 1)
        match, rest = rest.split("]", 1)
        right, phones = rest.split("=", 1)
        phones_list = phones.split()
        assert set(phones_list) <= PHONES, line
        rules.setdefault(match[0], []).append((left, match, right, phones_list))
    return rules


_RULES = _parse_rules()


def letter_to_sound(word: str) -> list[str]:
    """Phones for a lower-case word by the ordered letter-to-sound rules (never fails on a-z)."""
    text = " " + re.sub(r"[^a-z']", "", word.lower()) + " "
    phones: list[str] = []
    i = 1
    while i < len(text) - 1:
        letter = text[i]
        for left, match, right, out in _RULES.get(letter, ()):
            if (text.startswith(match, i) and _right_matches(right, text, i + len(match))
                    and _left_matches(left, text, i)):
                phones += out
                i += len(match)
                break
        else:
            i += 1  # apostrophes and anything unruled are silent
    if not any(p in _VOWEL_PHONES for p in phones) and phones:
        phones = phones[:1] + ["AH"] + phones[1:]  # every spoken word has a nucleus
    return phones


def _is_consonant(ch: str) -> bool:
    return ch.isalpha() and ch not in _VOWELS


def _right_matches(pattern: str, text: str, pos: int) -> bool:
    if not pattern:
        return True
    symbol, rest = pattern[0], pattern[1:]
    if symbol in "#:":
        run = pos
        while run < len(text) and (text[run] in _VOWELS if symbol == "#" else _is_consonant(text[run])):
            run += 1
        shortest = pos + 1 if symbol == "#" else pos
        return any(_right_matches(rest, text, end) for end in range(run, shortest - 1, -1))
    if symbol == "%":
        return any(text.startswith(s, pos) and _right_matches(rest, text, pos + len(s)) for s in _SUFFIX_CONTEXT)
    ch = text[pos] if pos < len(text) else " "
    return _symbol_matches(symbol, ch) and _right_matches(rest, text, pos + 1)


def _left_matches(pattern: str, text: str, pos: int) -> bool:
    """Match `pattern` ending just before text[pos], reading leftwards."""
    if not pattern:
        return True
    symbol, rest = pattern[-1], pattern[:-1]
    if symbol in "#:":
        run = pos
        while run >= 1 and (text[run - 1] in _VOWELS if symbol == "#" else _is_consonant(text[run - 1])):
            run -= 1
        longest_start = run
        first = pos - 1 if symbol == "#" else pos
        return any(_left_matches(rest, text, start) for start in range(longest_start, first + 1))
    if symbol == "&":
        return any(text.endswith(s, 0, pos) and _left_matches(rest, text, pos - len(s)) for s in _SIBILANTS)
    if symbol == "@":
        return any(text.endswith(s, 0, pos) and _left_matches(rest, text, pos - len(s)) for s in _LONG_U_AFTER)
    ch = text[pos - 1] if pos >= 1 else " "
    return _symbol_matches(symbol, ch) and _left_matches(rest, text, pos - 1)


def _symbol_matches(symbol: str, ch: str) -> bool:
    if symbol == " ":
        return not ch.isalpha()
    if symbol == "^":
        return _is_consonant(ch)
    if symbol == ".":
        return ch in _VOICED
    if symbol == "+":
        return ch in _FRONT
    return symbol == ch
