"""Audio loading and per-frame audio features, on real files written here and the LibriVox clips."""
import json
import math
import re
import shutil
import struct
import subprocess
import sys
import tracemalloc
from functools import partial

import numpy as np
import pytest
import soundfile as sf

from openhuman.engine.speech.audio import SAMPLE_RATE, iter_audio_blocks, load_audio, resample, speech_regions
from openhuman.training.bench_features import benchmark_audio_features
from openhuman.engine.conditions.audio_features import (
    FPS,
    audio_feature_spec,
    check_audio_feature_spec,
    compute_audio_features,
    compute_audio_features_for_spec,
    compute_audio_features_streaming,
    n_frames,
    relative_levels,
)
from openhuman.engine.errors import AudioError, ModelFileError
from helpers import SPEECH, feature_part

part = partial(feature_part, audio_feature_spec())


def speech_files():
    files = sorted(SPEECH.glob("*.wav"))
    if not files:
        pytest.skip(f"no LibriVox speech in {SPEECH}")
    return files


@pytest.fixture(scope="module")
def espeak_wav(tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    path = tmp_path_factory.mktemp("espeak") / "speech.wav"
    text = "Look at this big round table. We never said that everything was fine, did we?"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return path


def tone(seconds, rate, freq=440.0, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_frequency(samples):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return np.argmax(spectrum) * SAMPLE_RATE / len(samples)


# ---------------------------------------------------------------- loading

@pytest.mark.parametrize(
    "suffix, fmt, subtype, rate, channels",
    [
        ("wav", "WAV", "PCM_16", 8000, 1),
        ("wav", "WAV", "PCM_24", 44100, 2),
        ("wav", "WAV", "PCM_32", 48000, 1),
        ("wav", "WAV", "FLOAT", 22050, 2),
        ("wav", "WAV", "DOUBLE", 16000, 1),
        ("wav", "WAV", "PCM_U8", 11025, 1),
        ("flac", "FLAC", "PCM_16", 32000, 2),
        ("ogg", "OGG", "VORBIS", 44100, 1),
        ("mp3", "MP3", "MPEG_LAYER_III", 44100, 2),
    ],
)
def test_formats_load_as_mono_16k_float32(tmp_path, suffix, fmt, subtype, rate, channels):
    signal = tone(1.0, rate)
    data = np.stack([signal] * channels, axis=1) if channels > 1 else signal
    path = tmp_path / f"tone.{suffix}"
    sf.write(path, data, rate, format=fmt, subtype=subtype)
    samples = load_audio(path)
    assert samples.dtype == np.float32 and samples.ndim == 1
    lossy = fmt in ("OGG", "MP3")
    assert abs(len(samples) - SAMPLE_RATE) <= (1200 if lossy else 1)  # MP3 frames add priming samples
    middle = samples[4000:12000]
    assert abs(peak_frequency(middle) - 440) < 4
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5 / math.sqrt(2), rel=0.05 if lossy else 0.01)


@pytest.mark.parametrize("name, rate, codec", [("speech.mp3", 22050, ["-b:a", "64k"]),
                                              ("speech.m4a", 44100, ["-c:a", "aac"])],  # aac: librosa's fallback
                         ids=["mp3", "aac"])
def test_formats_made_by_ffmpeg(tmp_path, name, rate, codec):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    source = tmp_path / "source.wav"
    sf.write(source, tone(2.0, rate, 300.0), rate)
    made = tmp_path / name
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(source), *codec, str(made)], check=True)
    samples = load_audio(made)
    assert abs(len(samples) / SAMPLE_RATE - 2.0) < 0.1
    assert abs(peak_frequency(samples[8000:24000]) - 300) < 4


def test_stereo_is_averaged(tmp_path):
    left = tone(0.5, 16000)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, np.zeros_like(left)], axis=1), 16000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(path), left / 2, atol=1e-7)


def test_librivox_clips_load_unchanged_at_16k():
    for path in speech_files():
        reference, rate = sf.read(path, dtype="float32")
        assert rate == SAMPLE_RATE
        np.testing.assert_array_equal(load_audio(path), reference)


def test_espeak_speech_is_resampled(espeak_wav):
    raw, rate = sf.read(espeak_wav, dtype="float32")
    samples = load_audio(espeak_wav)
    assert len(samples) == math.ceil(len(raw) * SAMPLE_RATE / rate)
    np.testing.assert_allclose(samples, resample(raw, rate), atol=1e-6)
    assert speech_regions(samples)  # it is speech


@pytest.mark.parametrize("rate, block_seconds", [(44100, 0.37), (22050, 1.0), (48000, 0.05), (8000, 0.5), (16000, 0.3)])
def test_streaming_blocks_join_into_the_whole_clip(tmp_path, espeak_wav, rate, block_seconds):
    speech = load_audio(espeak_wav)
    path = tmp_path / "speech.flac"
    sf.write(path, np.stack([resample(speech, SAMPLE_RATE, rate)] * 2, axis=1), rate)
    whole = load_audio(path)
    blocks = list(iter_audio_blocks(path, block_seconds))
    assert len(blocks) > 3
    np.testing.assert_allclose(np.concatenate(blocks), whole, atol=1e-6)


# ---------------------------------------------------------------- bad input

def test_missing_file():
    with pytest.raises(AudioError, match="no such audio file"):
        load_audio("/nonexistent/speech.wav")


def test_folder_is_refused(tmp_path):
    with pytest.raises(AudioError, match="folder"):
        load_audio(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(path)


def test_zero_length_wav(tmp_path):
    path = tmp_path / "nothing.wav"
    sf.write(path, np.zeros(0, np.float32), 16000)
    assert path.stat().st_size > 0
    with pytest.raises(AudioError, match="no samples"):
        load_audio(path)
    with pytest.raises(AudioError, match="no samples"):
        list(iter_audio_blocks(path))


def test_text_file_renamed_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("These are my speaking notes, not a recording.\n")
    with pytest.raises(AudioError, match="text file"):
        load_audio(path)
    with pytest.raises(AudioError, match="text file"):
        list(iter_audio_blocks(path))


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(AudioError, match="not a readable audio file"):
        load_audio(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_are_refused_with_their_time(tmp_path, bad):
    samples = tone(2.0, 16000)
    samples[24000] = bad
    path = tmp_path / "damaged.wav"
    sf.write(path, samples, 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"NaN or infinite.*1\.500 s"):
        load_audio(path)


def test_silence_is_valid(tmp_path):
    path = tmp_path / "quiet.wav"
    sf.write(path, np.zeros(3 * 44100, np.float32), 44100)
    samples = load_audio(path)
    assert len(samples) == 3 * SAMPLE_RATE and not samples.any()
    assert speech_regions(samples) == []
    features = compute_audio_features(samples)
    assert features.shape == (60, audio_feature_spec()["dims"]) and np.isfinite(features).all()


def test_clip_longer_than_the_limit_points_to_streaming(tmp_path):
    path = tmp_path / "talk.wav"
    sf.write(path, tone(3.0, 16000), 16000)
    with pytest.raises(AudioError, match="iter_audio_blocks"):
        load_audio(path, max_seconds=2.0)
    assert len(load_audio(path, max_seconds=3.0)) == 3 * SAMPLE_RATE


def sparse_wav(path, seconds, rate=16000):
    """A real PCM WAV of silence whose data the file system stores as a hole (no disk used)."""
    data_bytes = int(seconds * rate) * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    with open(path, "wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + data_bytes)
    return path


def test_three_hour_file_refused_whole_and_streamed_in_bounded_memory(tmp_path):
    path = sparse_wav(tmp_path / "three_hours.wav", 3 * 3600)
    with pytest.raises(AudioError, match=r"180\.0 min.*iter_audio_blocks"):
        load_audio(path)
    tracemalloc.start()
    total = 0
    try:
        for block in iter_audio_blocks(path, block_seconds=120):
            total += len(block)
            assert not block.any()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 3 * 3600 * SAMPLE_RATE
    assert peak < 40e6, f"streaming 3 hours peaked at {peak / 1e6:.0f} MB"


# ---------------------------------------------------------------- features

def test_frame_count_rule():
    assert n_frames(4 * SAMPLE_RATE) == 80 == round(4 * FPS)
    assert n_frames(1) == 1 and n_frames(800) == 1 and n_frames(801) == 2 and n_frames(0) == 0
    features = compute_audio_features(np.zeros(64000, np.float32))
    assert features.shape == (80, audio_feature_spec()["dims"]) and features.dtype == np.float32


def test_spec_is_consistent_and_json():
    spec = audio_feature_spec()
    assert spec["dims"] == sum(dims for _, dims in spec["parts"]) == compute_audio_features(tone(1, 16000)).shape[1]
    assert spec["fps"] == 20 and spec["sample_rate"] == 16000 and spec["name"] == "openhuman-audio"
    check_audio_feature_spec(json.loads(json.dumps(spec)))  # as read back from a model file


def test_click_shows_at_frame_40():
    samples = np.zeros(4 * SAMPLE_RATE, np.float32)
    samples[2 * SAMPLE_RATE] = 0.9
    features = compute_audio_features(samples, version=1)
    assert np.argmax(part(features, "onset")[:, 0]) == 40
    assert np.argmax(part(features, "rms_db")[:, 0]) == 40
    assert np.argmax(part(features, "log_mel").mean(axis=1)) == 40


def test_tone_burst_pitch_energy_and_voicing():
    samples = np.zeros(4 * SAMPLE_RATE, np.float32)
    samples[2 * SAMPLE_RATE:3 * SAMPLE_RATE] = tone(1.0, SAMPLE_RATE, 200.0, 0.3)
    features = compute_audio_features(samples, version=1)
    rms = part(features, "rms_db")[:, 0]
    assert np.argmax(part(features, "onset")[:, 0]) == 40
    assert (rms[41:60] > -20).all() and (rms[:39] == -80).all() and (rms[62:] == -80).all()
    f0 = 150 * 2 ** part(features, "log_f0")[42:59, 0]
    np.testing.assert_allclose(f0, 200, rtol=0.01)
    voicing = part(features, "voicing")[:, 0]
    assert (voicing[42:59] > 0.9).all() and (voicing[:38] == 0).all()
    assert (part(features, "log_f0")[:38] == 0).all()


def test_pitch_of_real_speech_agrees_with_librosa_yin():
    import librosa

    samples = load_audio(speech_files()[0])
    features = compute_audio_features(samples, version=1)
    log_f0 = part(features, "log_f0")[:, 0]
    voiced = log_f0 != 0
    assert 0.3 < voiced.mean() < 0.9
    ours = 150 * 2 ** log_f0[voiced]
    theirs = librosa.yin(samples, fmin=60, fmax=500, sr=SAMPLE_RATE, frame_length=1024, hop_length=800)
    theirs = theirs[: len(voiced)][voiced[: len(theirs)]]
    assert abs(np.median(ours) / np.median(theirs) - 1) < 0.05
    assert 70 < np.median(ours) < 250  # an adult reader


def test_silence_and_near_silence_give_finite_features():
    for samples in (np.zeros(SAMPLE_RATE, np.float32), np.full(SAMPLE_RATE, 1e-9, np.float32)):
        features = compute_audio_features(samples, version=1)
        assert np.isfinite(features).all()
        assert (part(features, "rms_db") == -80).all() and (part(features, "voicing") == 0).all()
        assert not compute_audio_features(samples).any()  # version 2: silence reads zero


def test_streaming_features_match_whole_clip(tmp_path, espeak_wav):
    speech = load_audio(espeak_wav)
    long_speech = np.concatenate([speech] * 4)  # several 5 s passes in the whole-clip path too
    whole = compute_audio_features(long_speech, version=1)
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.integers(0, len(long_speech), 40))
    streamed = np.concatenate(list(compute_audio_features_streaming(np.split(long_speech, cuts))))
    assert streamed.shape == whole.shape
    np.testing.assert_allclose(streamed, whole, atol=1e-3)
    path = tmp_path / "speech44.wav"
    sf.write(path, resample(long_speech, SAMPLE_RATE, 44100), 44100)
    from_file = np.concatenate(list(compute_audio_features_streaming(iter_audio_blocks(path, 7.0))))
    np.testing.assert_allclose(from_file, compute_audio_features(load_audio(path), version=1), atol=1e-3)
    np.testing.assert_allclose(relative_levels(streamed), compute_audio_features(long_speech), atol=1e-2)


def test_features_refuse_bad_arrays():
    with pytest.raises(AudioError, match="mono"):
        compute_audio_features(np.zeros((100, 2), np.float32))
    with pytest.raises(AudioError, match="NaN"):
        compute_audio_features(np.array([0.0, np.nan], np.float32))


# ---------------------------------------------------------------- spec checks and WavLM

@pytest.mark.parametrize(
    "change, message",
    [
        ({"name": "someone-else"}, "cannot compute"),
        ({"version": 99}, "update OpenHuman"),
        ({"fps": 30}, "'fps'"),
        ({"parts": [["log_mel", 40]]}, "'parts'"),
        ({"params": {"n_mels": 40}}, "'params'"),
        ({"dims": 12}, "'dims'"),
    ],
)
def test_spec_mismatch_is_refused(change, message):
    spec = {**audio_feature_spec(), **change}
    with pytest.raises(ModelFileError, match=message):
        check_audio_feature_spec(spec)


def test_damaged_spec_is_refused():
    with pytest.raises(ModelFileError, match="missing or damaged"):
        check_audio_feature_spec({"name": "openhuman-audio"})


def test_model_needing_wavlm_refuses_without_it(tmp_path):
    spec = audio_feature_spec(wavlm_dims=768)
    assert spec["dims"] == audio_feature_spec()["dims"] + 768
    with pytest.raises(ModelFileError, match="needs WavLM.*--wavlm DIR.*WavLM folder"):
        check_audio_feature_spec(spec)
    with pytest.raises(ModelFileError, match="WavLM"):
        compute_audio_features_for_spec(np.zeros(16000, np.float32), spec)
    with pytest.raises(ModelFileError, match="no WavLM model directory"):
        check_audio_feature_spec(spec, wavlm_dir=tmp_path / "missing")


def test_wavlm_without_transformers_says_what_to_install(tmp_path):
    code = ("import sys; sys.modules['transformers'] = None  # as if it were not installed\n"
            "import numpy as np\n"
            "from openhuman.engine.conditions.audio_features import wavlm_features\n"
            f"wavlm_features(np.zeros(16000, np.float32), {str(tmp_path)!r})\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert re.search("transformers.*not installed.*pip install", done.stderr), done.stderr[-1500:]


def test_base_spec_features_for_spec_are_the_plain_features():
    samples = tone(1.0, 16000, 180.0, 0.2)
    np.testing.assert_array_equal(
        compute_audio_features_for_spec(samples, audio_feature_spec()), compute_audio_features(samples)
    )


def test_benchmark_reports_json():
    result = benchmark_audio_features(seconds=3.0)
    assert json.loads(json.dumps(result)) == result
    assert result["audio_seconds"] == 3.0 and result["frames"] == 60 and result["wall_seconds"] > 0


# ---------------------------------------------------------------- version 2: levels relative to the clip

def _room_noise(n, level_db, seed=0):
    return (np.random.default_rng(seed).standard_normal(n) * 10 ** (level_db / 20)).astype(np.float32)


def _reading_with_pauses():
    """Real LibriVox speech with 1.5 s pauses of digital silence between the clips."""
    gap = np.zeros(int(1.5 * SAMPLE_RATE), np.float32)
    pieces = []
    for path in speech_files()[:3]:
        pieces += [load_audio(path), gap]
    return np.concatenate(pieces)


def test_relative_features_ignore_gain_and_room_noise_in_pauses():
    speech = _reading_with_pauses()
    base = compute_audio_features(speech)
    quiet = compute_audio_features(0.1 * speech)  # 20 dB lower: another microphone gain
    np.testing.assert_allclose(part(quiet, "rms_db"), part(base, "rms_db"), atol=0.5)
    # bands well above the digital floor keep their values (this MP3-born reading has almost nothing
    # above 5 kHz: those bands sink into the −80 dB floor at the lower gain)
    assert np.mean(np.abs(part(quiet, "log_mel")[:, :48] - part(base, "log_mel")[:, :48]) < 1.0) > 0.97
    silent = part(compute_audio_features(speech, version=1), "rms_db")[:, 0] <= -79
    assert silent.sum() > 40
    noisy = compute_audio_features(speech + _room_noise(len(speech), -55))
    # a room's noise floor in the pauses reads as the silence it stands for
    assert np.mean(part(noisy, "rms_db")[silent, 0] == 0) > 0.95 and (part(base, "rms_db")[silent, 0] == 0).all()
    assert np.mean(part(noisy, "voicing")[silent, 0] == 0) > 0.95
    # and speech still reads as speech, at nearly the same levels
    loud = part(base, "rms_db")[:, 0] > 10
    assert np.mean(part(noisy, "rms_db")[loud, 0] > 0) > 0.97
    assert np.corrcoef(part(noisy, "rms_db")[loud, 0], part(base, "rms_db")[loud, 0])[0, 1] > 0.9


def test_absolute_features_are_far_apart_where_relative_ones_agree():
    speech = _reading_with_pauses()
    noisy = speech + _room_noise(len(speech), -50)
    v1 = [part(compute_audio_features(x, version=1), "rms_db")[:, 0] for x in (speech, noisy)]
    v2 = [part(compute_audio_features(x), "rms_db")[:, 0] for x in (speech, noisy)]
    pause, speaking = v1[0] <= -79, v2[0] > 5
    assert np.mean(np.abs(v1[0] - v1[1])[pause]) > 25 and np.mean(np.abs(v2[0] - v2[1])[pause]) < 0.5
    assert np.mean(np.abs(v2[0] - v2[1])[speaking]) < 1.0  # speech reads the same in the noisier room


def test_both_versions_are_computed_for_their_specs():
    samples = _reading_with_pauses()[: 3 * SAMPLE_RATE]
    for version in (1, 2):
        spec = json.loads(json.dumps(audio_feature_spec(version=version)))
        check_audio_feature_spec(spec)
        np.testing.assert_array_equal(compute_audio_features_for_spec(samples, spec),
                                      compute_audio_features(samples, version=version))
    assert "relative" in audio_feature_spec()["params"] and "relative" not in audio_feature_spec(version=1)["params"]
    with pytest.raises(ModelFileError, match="params"):
        check_audio_feature_spec({**audio_feature_spec(version=1), "params": audio_feature_spec()["params"]})


def test_mel_filters_are_librosas_without_importing_it():
    """The mel filterbank is written out (importing librosa cost a second of every generation's start);
    it must stay librosa's default Slaney filterbank to the bit, or the bundled model hears another voice."""
    import librosa

    from openhuman.engine.conditions import audio_features as af

    ours = af._mel_basis()
    theirs = librosa.filters.mel(sr=af.SAMPLE_RATE, n_fft=af.N_FFT, n_mels=af.N_MELS, fmin=af.FMIN, fmax=af.FMAX)
    np.testing.assert_array_equal(ours, theirs.astype(np.float64))
    code = ("import sys; from openhuman.engine.conditions.audio_features import compute_audio_features; "
            "import numpy as np; compute_audio_features(np.zeros(16000, np.float32)); print('librosa' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_features_on_threads_are_the_features_computed_in_turn():
    rng = np.random.default_rng(5)
    samples = (0.1 * rng.normal(size=25 * SAMPLE_RATE) * (np.arange(25 * SAMPLE_RATE) % 16000 < 9000)).astype(np.float32)
    alone = compute_audio_features(samples)
    assert len(alone) >= 3 * 100  # several chunks of 100 frames for the threads to share
    np.testing.assert_array_equal(compute_audio_features(samples, threads=2), alone)
    np.testing.assert_array_equal(compute_audio_features(samples, version=1, threads=3), compute_audio_features(samples, version=1))
