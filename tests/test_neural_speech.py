"""Training speech from the neural voice (Piper en_US-joe through onnxruntime, real synthesis): words
aligned to the sound, emotions heard in tempo and level, and corpus takes that speak with it."""
import numpy as np
import pytest

from openhuman.engine.errors import OpenHumanError
from openhuman.engine.speech.activity import RATE, speech_activity
from openhuman.engine.speech.word_text import split_words
from openhuman.training.corpus import build_corpus, build_take, plan_corpus
from openhuman.training.neural_speech import VOICE_NAME, synthesise_neural_speech
from openhuman.training.sentences import SentenceGenerator, generate_sentences

SENTENCES = ["The teacher would never listen to us.", "Nobody, after all, would walk across that bridge in the rain."]


@pytest.fixture(scope="module")
def neutral():
    return synthesise_neural_speech(SENTENCES, "Neutral", seed=2)


def test_every_word_is_said_in_order_where_the_voice_is(neutral):
    assert [w.word for w in neutral.words] == split_words(" ".join(SENTENCES))
    starts = [w.start for w in neutral.words]
    assert starts == sorted(starts) and 0.2 < starts[0] and neutral.words[-1].end < neutral.duration
    active = speech_activity(neutral.samples)
    inside = [active[min(len(active) - 1, int((w.start + w.end) / 2 * RATE))] for w in neutral.words]
    assert np.mean(inside) >= 0.9  # the aligned words sit on detected speech
    gap = neutral.words[7].start - neutral.words[6].end  # between the two sentences: a pause
    assert gap >= 0.3 and not active[int((neutral.words[6].end + 0.1) * RATE): int((neutral.words[7].start - 0.1) * RATE)].any()


def test_emotions_change_tempo_and_level():
    sentences = generate_sentences(11, 8)
    measured = {}
    for emotion in ("Neutral", "Sad", "Angry"):
        speech = synthesise_neural_speech(sentences, emotion, seed=4)
        speaking = sum(w.end - w.start for w in speech.words)
        loud = speech.samples[np.abs(speech.samples) > 1e-4]
        measured[emotion] = (len(speech.words) / speaking, float(np.mean(loud.astype(np.float64) ** 2)))
    rate, power = ({e: m[i] for e, m in measured.items()} for i in range(2))
    assert rate["Sad"] < rate["Neutral"] < rate["Angry"]
    assert power["Angry"] > 1.3 * power["Neutral"] > 1.3 * 2 * power["Sad"]  # Angry is held under full scale


def test_min_seconds_and_reproducible():
    first = synthesise_neural_speech(SentenceGenerator(5), "Happy", seed=3, min_seconds=8.0)
    assert 8.0 <= first.duration < 20.0 and first.sentences == generate_sentences(5, len(first.sentences))
    again = synthesise_neural_speech(SentenceGenerator(5), "Happy", seed=3, min_seconds=8.0)
    assert np.array_equal(first.samples, again.samples)


def test_corpus_plans_a_block_in_n_for_the_neural_voice_and_builds_it():
    plans = plan_corpus(1.0, seed=0, neural_every=3)
    blocks = [plans[i: i + 6] for i in range(0, len(plans), 6)]
    neural = [b for b in blocks if b[0].kind == "neural"]
    assert len(neural) == sum(1 for k in range(len(blocks)) if k % 3 == 1) and all(p.voice == VOICE_NAME for b in neural for p in b)
    assert all(len({p.kind for p in b}) == 1 for b in blocks)
    assert all(p.kind != "neural" for p in plan_corpus(1.0, seed=0))
    take = build_take(neural[0][3])  # an Angry take
    assert take.source == VOICE_NAME and len(take.motion) == len(take.audio) == len(take.text)
    assert take.seconds >= 4.5 and len(take.words) > 5
    with pytest.raises(OpenHumanError, match="neural-every"):
        build_corpus("/nonexistent/never-written", 0.01, neural_every=-1)
