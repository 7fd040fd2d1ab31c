"""The voice activity detector on real recordings: pauses found, whatever the gain or the room's noise."""
import numpy as np
import pytest

from openhuman.engine.speech.audio import load_audio
from openhuman.engine.speech.activity import RATE, activity_at, pauses, speech_activity
from openhuman.training.evaluation.real_speech import RoomNoise

GAPS = (1.0, 2.5, 0.8, 1.6)


@pytest.fixture(scope="module")
def reading(speech_dir):
    """Four real LibriVox clips joined by pauses of their own room noise; where the pauses are."""
    clips = [load_audio(p) for p in sorted(speech_dir.glob("*.wav"))[:4]]
    noise = RoomNoise(clips)
    pieces, gaps, cursor = [], [], 0
    for clip, gap in zip(clips, GAPS):
        pieces += [clip, noise.take(gap, len(pieces))]
        cursor += len(clip)
        gaps.append((cursor / 16000, (cursor + int(gap * 16000)) / 16000))
        cursor += int(gap * 16000)
    return np.concatenate(pieces), gaps


def _found(activity, gaps):
    found = pauses(activity, 0.7)
    # each inserted pause is found, give or take the clips' own silence at their ends (≤ 0.35 s)
    for a, b in gaps:
        assert any(a - 0.4 <= fa <= a + 0.1 and b - 0.1 <= fb <= b + 0.35 for fa, fb in found), (a, b, found)
    return found


def test_inserted_pauses_are_found_and_speech_is_speech(reading):
    samples, gaps = reading
    activity = speech_activity(samples)
    assert len(activity) == -(-len(samples) // (16000 // RATE))
    found = _found(activity, gaps)
    assert len(found) <= len(gaps) + 1  # no pause invented inside the reading
    assert 0.6 < activity.mean() < 0.9


@pytest.mark.parametrize("gain, noise_db", [(0.05, None), (1.0, -58.0), (3.0, -60.0)])
def test_gain_and_noise_change_little(reading, gain, noise_db):
    samples, gaps = reading
    base = speech_activity(samples)
    changed = gain * samples
    if noise_db is not None:
        changed = changed + np.random.default_rng(0).standard_normal(len(samples)).astype(np.float32) * 10 ** (noise_db / 20)
    activity = speech_activity(np.clip(changed, -1, 1))
    assert np.mean(activity == base) > 0.93
    _found(activity, gaps)


def test_silence_and_noise_alone_hold_no_speech():
    assert not speech_activity(np.zeros(32000, np.float32)).any()
    noise = np.random.default_rng(1).standard_normal(48000).astype(np.float32) * 0.01
    assert speech_activity(noise).mean() < 0.05


def test_activity_at_the_model_frame_rate(reading):
    samples, gaps = reading
    at20 = activity_at(speech_activity(samples), 20.0, len(samples) // 800)
    for a, b in gaps:
        assert not at20[int(a * 20) + 4:int(b * 20) - 4].any()
