"""Sentences for the synthetic speech corpus: varied structure and length, rich in gesture words.

A small generative grammar: a sentence is one of several shapes (statements, questions,
negations, answers, lists, comparisons, directions, stories joined by "and", "but", "because")
whose slots are filled from word lists that mix the gesture lexicon of
:data:`..engine.text_features.LEXICON` with ordinary filler words. Lengths run from two-word
answers ("Yes, exactly.") to sentences of thirty words or more.

Everything is drawn from ``random.Random(seed)``, so a seed gives the same sentences on any
machine and numpy version. Tokens are plain words with trailing punctuation only (no hyphens or
digits), so every token is one spoken word.
"""
from __future__ import annotations

import random
from typing import Iterator

from ..engine.conditions.text_features import LEXICON_WORDS

# Slot word lists. Lexicon words sit beside ordinary ones, so gestures occur at a natural rate.
SUBJECTS = ["I", "we", "you", "everyone", "nobody", "my sister", "our team", "the teacher", "the children",
            "my neighbour", "your friend", "the old man", "this company", "that woman", "these people",
            "those students", "they", "she", "he", "many people", "all of us"]
OBJECT_PRONOUNS = ["me", "us", "you", "them", "her", "him", "everyone"]
POSSESSIVES = ["my", "your", "our", "their", "his", "her", "this", "that"]
PLURAL_DEMONSTRATIVES = ["these", "those", "all the", "many", "more", "some", "a few", "none of the"]
NOUNS = ["house", "garden", "river", "letter", "window", "table", "road", "mountain", "picture", "story",
         "problem", "question", "plan", "door", "city", "box", "tree", "ball", "bridge", "song", "meeting",
         "kitchen", "idea", "answer", "journey", "market", "village", "project", "music", "weather"]
PLURAL_NOUNS = ["houses", "boxes", "trees", "letters", "friends", "windows", "stories", "roads", "people",
                "questions", "ideas", "books", "hills", "birds", "rooms", "plans", "stones", "boats"]
SIZE_ADJECTIVES = ["big", "small", "tall", "round", "wide", "long", "high", "low", "huge", "tiny", "little"]
OTHER_ADJECTIVES = ["old", "new", "quiet", "bright", "strange", "simple", "green", "warm", "heavy", "empty",
                    "beautiful", "difficult", "important", "careful", "happy", "cold", "open", "busy"]
DEGREES = ["very", "really", "quite", "so", "too", "a bit", "rather", "incredibly"]
TRANSITIVE_VERBS = ["saw", "found", "built", "painted", "carried", "opened", "moved", "remembered", "liked",
                    "needed", "lost", "watched", "cleaned", "bought", "read", "made", "wanted", "brought"]
INTRANSITIVE_VERBS = ["walked", "waited", "laughed", "stayed", "worked", "travelled", "arrived", "listened",
                      "smiled", "talked", "slept", "agreed", "moved", "left", "sang"]
BASE_VERBS = ["go", "come", "stay", "wait", "help", "try", "leave", "listen", "work", "start", "stop",
              "believe", "understand", "remember", "forget", "change", "decide", "agree"]
PLACES = ["here", "there", "over there", "right here", "up there", "down there", "around here",
          "between the houses", "by the river", "at home", "in the city", "near the door", "on the hill",
          "in the garden", "across the road", "down the street", "up the stairs"]
TIMES = ["today", "yesterday", "tomorrow", "always", "every morning", "last year", "in the future",
         "in the past", "at first", "later", "tonight", "now", "again", "sometimes", "once"]
DIRECTIONS = ["up", "down", "around", "up and down", "around and around", "back and forth"]
OPENERS = ["Well,", "So,", "You know,", "Actually,", "Honestly,", "Look,", "Listen,", "Okay,", "And",
           "But", "Maybe", "Of course,", "I think", "Anyway,", "Now,", "Yes,", "Yeah,", "Sure,", "Exactly,",
           "Absolutely,", "Definitely,", "Maybe in the future,", "At first,"]
NEGATIONS = ["not", "never"]
CONTRACTED_NEGATIONS = ["don't", "can't", "won't"]
NEGATIVE_ANSWERS = ["No.", "No, never.", "No, not really.", "Nothing.", "Nobody.", "None.", "No, no, no.",
                    "Never again.", "I don't think so.", "Not at all."]
AFFIRMATIVE_ANSWERS = ["Yes.", "Yeah.", "Sure.", "Okay.", "Absolutely.", "Exactly.", "Definitely.",
                       "Yes, exactly.", "Yeah, sure.", "Okay, definitely.", "Yes, absolutely.",
                       "Sure, why not."]
MENTAL_VERBS = ["think", "believe", "know", "feel", "guess", "hope", "think"]
CONNECTORS = ["and", "but", "because", "so", "while", "although", "and then", "until"]
QUANTIFIERS = ["all", "everything", "everyone", "nothing", "nobody", "many", "more", "none"]
# One short phrase per lexicon word: the "focus" shape puts a uniformly drawn lexicon word in every
# few sentences, so rare gesture words still occur often across a corpus.
FOCUS_PHRASES = {
    "i": "I mean", "me": "believe me", "my": "in my opinion", "you": "you see", "your": "in your case",
    "we": "as we said", "us": "for us", "our": "in our view", "this": "this one", "that": "that one",
    "these": "these days", "those": "in those days", "here": "right here", "there": "over there",
    "big": "a big one", "small": "a small one", "tall": "the tall one", "round": "the round one",
    "up": "look up", "down": "calm down", "wide": "wide open", "long": "for a long time", "high": "up high",
    "low": "down low", "huge": "a huge one", "tiny": "a tiny bit", "little": "a little", "around": "all around",
    "all": "after all", "everything": "everything else", "everyone": "everyone knows", "many": "many times",
    "more": "once more", "together": "all together", "between": "in between", "always": "as always",
    "idea": "good idea", "think": "I think", "maybe": "maybe", "first": "first of all", "future": "in the future",
    "past": "in the past", "no": "no", "not": "not really", "never": "never", "nothing": "nothing else",
    "nobody": "nobody knows", "none": "none of them", "don't": "I don't know", "can't": "I can't say",
    "won't": "it won't matter", "yes": "yes", "yeah": "yeah", "sure": "sure", "okay": "okay",
    "absolutely": "absolutely", "exactly": "exactly", "definitely": "definitely",
}


class SentenceGenerator:
    """Sentences from a seed: ``sentence()`` gives one, iteration an endless stream."""

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self._shapes = [
            (self._statement, 5), (self._description, 4), (self._negation, 3), (self._question, 3),
            (self._answer, 5), (self._list, 2), (self._comparison, 2), (self._direction, 3),
            (self._opinion, 3), (self._compound, 4), (self._deixis, 3), (self._quantity, 2), (self._focus, 8),
        ]
        self._weights = [w for _, w in self._shapes]

    def sentence(self) -> str:
        shape = self.rng.choices([s for s, _ in self._shapes], self._weights)[0]
        words = shape()
        if self.rng.random() < 0.25 and not words.endswith("?") and (words.islower() or words.startswith("I ")):
            words = f"{self._pick(OPENERS)} {words}"
        return _finish(words)

    def sentences(self, n: int) -> list[str]:
        return [self.sentence() for _ in range(n)]

    def __iter__(self) -> Iterator[str]:
        while True:
            yield self.sentence()

    # ------------------------------------------------------------ pieces

    def _pick(self, items):
        return self.rng.choice(items)

    def _maybe(self, p: float, text: str) -> str:
        return text if self.rng.random() < p else ""

    def _noun_phrase(self) -> str:
        adjective = self._maybe(0.6, self._pick(SIZE_ADJECTIVES + OTHER_ADJECTIVES))
        noun = _join(adjective, self._pick(NOUNS))
        determiner = self._pick(["the", "a", "my", "your", "our", "this", "that"])
        if determiner == "a" and noun[0] in "aeiou":
            determiner = "an"
        return _join(determiner, noun)

    def _plural_phrase(self) -> str:
        adjective = self._maybe(0.5, self._pick(SIZE_ADJECTIVES + OTHER_ADJECTIVES))
        return _join(self._pick(PLURAL_DEMONSTRATIVES), adjective, self._pick(PLURAL_NOUNS))

    def _adverbial(self) -> str:
        return _join(self._maybe(0.6, self._pick(PLACES)), self._maybe(0.4, self._pick(TIMES)))

    # ------------------------------------------------------------ shapes

    def _statement(self) -> str:
        chance = self.rng.random()
        obj = (self._noun_phrase() if chance < 0.65 else self._plural_phrase() if chance < 0.92
               else self._pick(["everything", "nothing", "all of it", "none of it"]))
        return _join(self._pick(SUBJECTS), self._pick(TRANSITIVE_VERBS), obj, self._adverbial())

    def _description(self) -> str:
        subject = self._noun_phrase() if self.rng.random() < 0.6 else self._pick(["this", "that", "it"])
        return _join(subject, "was", self._maybe(0.6, self._pick(DEGREES)), self._pick(SIZE_ADJECTIVES),
                     self._maybe(0.4, f"and {self._pick(OTHER_ADJECTIVES)}"))

    def _negation(self) -> str:
        subject = self._pick(["I", "we", "you", "they"])
        if self.rng.random() < 0.5:
            return _join(subject, self._pick(CONTRACTED_NEGATIONS), self._pick(BASE_VERBS), self._adverbial())
        return _join(self._pick(SUBJECTS), "would", self._pick(NEGATIONS), self._pick(BASE_VERBS),
                     self._maybe(0.5, self._pick(PLACES)), self._maybe(0.3, self._pick(TIMES)))

    def _question(self) -> str:
        kind = self.rng.randrange(4)
        if kind == 0:
            return _join("do you", self._pick(MENTAL_VERBS), "that", self._pick(["we", "they", "I"]),
                         self._pick(["can", "should", "will"]), self._pick(BASE_VERBS)) + "?"
        if kind == 1:
            return _join("where is", self._noun_phrase()) + "?"
        if kind == 2:
            return _join("can you see", self._pick(["this", "that", "those", "these"]),
                         self._pick(PLURAL_NOUNS + NOUNS), self._pick(PLACES)) + "?"
        return _join("why", self._pick(["don't", "can't", "won't"]), self._pick(["you", "we", "they"]),
                     self._pick(BASE_VERBS), self._maybe(0.5, self._pick(TIMES))) + "?"

    def _answer(self) -> str:
        if self.rng.random() < 0.4:
            head = self._pick(NEGATIVE_ANSWERS)
        else:
            head = self._pick(AFFIRMATIVE_ANSWERS)
        if self.rng.random() < 0.5:
            return head
        tail = self._statement() if self.rng.random() < 0.5 else self._description()
        return f"{head} {_capital(tail)}"

    def _list(self) -> str:
        items = [self._noun_phrase() for _ in range(self.rng.randint(2, 4))]
        return _join(self._pick(SUBJECTS), self._pick(TRANSITIVE_VERBS), ", ".join(items[:-1]), "and", items[-1])

    def _comparison(self) -> str:
        return _join(self._noun_phrase(), "is", self._pick(["more", "much more", "a little more"]),
                     self._pick(["important", "beautiful", "difficult", "interesting"]), "than",
                     self._noun_phrase())

    def _direction(self) -> str:
        kind = self.rng.randrange(3)
        if kind == 0:
            return _join(self._pick(["go", "look", "move", "walk", "turn"]), self._pick(DIRECTIONS),
                         self._maybe(0.5, self._pick(PLACES)))
        if kind == 1:
            return _join(self._pick(SUBJECTS), self._pick(["went", "looked", "climbed", "ran", "turned"]),
                         self._pick(DIRECTIONS), self._maybe(0.6, self._pick(PLACES)))
        return _join("the", self._pick(["ball", "bird", "price", "river", "road"]), "went",
                     self._pick(["up", "down", "around"]),
                     self._maybe(0.5, f"and then {self._pick(['up', 'down', 'away'])}"))

    def _opinion(self) -> str:
        content = self._statement() if self.rng.random() < 0.5 else self._description()
        return _join(self._pick(["I", "we", "you", "they"]), self._pick(["think", "believe", "know", "feel"]),
                     self._maybe(0.4, "that"), content)

    def _compound(self) -> str:
        parts = [self._statement() if self.rng.random() < 0.6 else self._negation()]
        for _ in range(self.rng.randint(1, 3)):
            clause = self.rng.choice([self._statement, self._description, self._negation, self._opinion])()
            parts.append(f"{self._pick(CONNECTORS)} {clause}")
        return ", ".join(parts) if self.rng.random() < 0.5 else " ".join(parts)

    def _deixis(self) -> str:
        kind = self.rng.randrange(3)
        if kind == 0:
            return _join(self._pick(["this", "that"]), "is", self._pick(POSSESSIVES[:4]), self._pick(NOUNS))
        if kind == 1:
            if self.rng.random() < 0.3:
                return _join(self._pick(["show me", "give me", "tell me about", "send us"]),
                             self._pick(["this", "that", "these", "those", "everything"]), self._pick(NOUNS + [""]))
            return _join(self._pick(["put", "bring", "leave", "take"]), self._pick(["it", "them", "this", "that"]),
                         self._pick(PLACES), self._maybe(0.4, f"for {self._pick(OBJECT_PRONOUNS)}"))
        return _join(self._pick(["you and I", "you and me", "we", "all of us", "they and we"]),
                     self._pick(["will", "should", "could"]), self._pick(BASE_VERBS), "together",
                     self._maybe(0.5, self._pick(PLACES)))

    def _quantity(self) -> str:
        kind = self.rng.randrange(2)
        if kind == 0:
            return _join(self._pick(QUANTIFIERS), self._pick(["changed", "stayed the same", "was different"]),
                         self._maybe(0.6, self._pick(TIMES)))
        return _join(self._pick(["there are", "there were"]), self._pick(["many", "more", "so many", "no"]),
                     self._pick(PLURAL_NOUNS), self._pick(PLACES), self._maybe(0.4, self._pick(["between them",
                                                                                                 "around them"])))


    def _focus(self) -> str:
        word = self._pick(LEXICON_WORDS)
        phrase = FOCUS_PHRASES.get(word, f"I said {word}")
        kind = self.rng.randrange(3)
        if kind == 0:
            return phrase
        clause = self.rng.choice([self._statement, self._description, self._negation, self._direction])()
        return f"{phrase}, {clause}" if kind == 1 else f"{clause}, {phrase}"


def generate_sentences(seed: int, n: int) -> list[str]:
    """``n`` sentences, the same for the same seed."""
    return SentenceGenerator(seed).sentences(n)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _finish(text: str) -> str:
    text = " ".join(text.replace(" ,", ",").split())
    text = _capital(text)
    if text[-1] not in ".?!":
        text += "." if not text.lower().startswith(("go ", "look ", "move ", "walk ", "turn ")) else "!"
    return text
