"""Rooms for corpus speech: deterministic, length-preserving, and at the levels they claim."""
import numpy as np
import pytest

from openhuman.training.augment import CLEAN_SHARE, Room, apply_room, draw_room

SR = 16000


def _burst(seconds=1.0, pad=1.0):
    t = np.arange(int(seconds * SR)) / SR
    voice = 0.3 * np.sign(np.sin(2 * np.pi * 140 * t)) * np.hanning(len(t))
    silence = np.zeros(int(pad * SR))
    return np.concatenate([silence, voice, silence]).astype(np.float32)


def _room(**change):
    plain = dict(gain_db=0.0, noise_db=None, noise_colour="white", hum_db=None, hum_hz=50.0, rt60_s=0.0, wet=0.0,
                 highpass_hz=40.0, lowpass_hz=None, tilt_db=0.0)
    return Room(**{**plain, **change})


def _db(x):
    return 10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-20)


def test_same_seed_same_recording_and_shape():
    x = _burst()
    rooms = [draw_room(np.random.default_rng(s)) for s in range(30)]
    assert any(r is None for r in rooms) and any(r is not None for r in rooms)
    for seed, room in enumerate(rooms[:8]):
        a = apply_room(x, room, np.random.default_rng(seed))
        b = apply_room(x, room, np.random.default_rng(seed))
        np.testing.assert_array_equal(a, b)
        assert a.shape == x.shape and a.dtype == np.float32 and np.isfinite(a).all() and np.abs(a).max() <= 1.0
    np.testing.assert_array_equal(apply_room(x, None, np.random.default_rng(0)), x)


@pytest.mark.parametrize("noise_db, colour", [(-50.0, "white"), (-70.0, "pink"), (-45.0, "brown")])
def test_noise_floor_fills_the_pauses_at_its_level(noise_db, colour):
    x = _burst()
    y = apply_room(x, _room(noise_db=noise_db, noise_colour=colour), np.random.default_rng(1))
    assert abs(_db(y[: SR // 2]) - noise_db) < 1.5  # the pause before the speech now holds the room


def test_gain_and_reverberation():
    x = _burst()
    quiet = apply_room(x, _room(gain_db=-20.0), np.random.default_rng(0))
    assert abs((_db(quiet) - _db(x)) + 20.0) < 0.5
    wet = apply_room(x, _room(rt60_s=0.6, wet=0.5), np.random.default_rng(0))
    after = slice(int(2.05 * SR), int(2.25 * SR))  # just after the burst ends: the room still rings
    assert _db(wet[after]) > -60 and _db(x[after]) < -100


def test_microphone_band_limits():
    x = np.random.default_rng(2).standard_normal(2 * SR).astype(np.float32) * 0.1
    y = apply_room(x, _room(highpass_hz=250.0, lowpass_hz=3400.0), np.random.default_rng(0))
    spectrum = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(len(y), 1 / SR)
    band = spectrum[(f > 600) & (f < 2500)].mean()
    assert spectrum[f < 80].mean() < 0.05 * band and spectrum[f > 6000].mean() < 0.01 * band


def test_draws_cover_the_ranges():
    rooms = [draw_room(np.random.default_rng(s)) for s in range(600)]
    clean = sum(r is None for r in rooms) / len(rooms)
    assert abs(clean - CLEAN_SHARE) < 0.05
    drawn = [r for r in rooms if r is not None]
    assert min(r.gain_db for r in drawn) < -20 and max(r.gain_db for r in drawn) > 0
    floors = [r.noise_db for r in drawn if r.noise_db is not None]
    assert min(floors) < -75 and max(floors) > -45
    assert {r.noise_colour for r in drawn} == {"white", "pink", "brown"}
    assert 0.5 < np.mean([r.rt60_s > 0 for r in drawn]) < 0.9
