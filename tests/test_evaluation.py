"""Evaluation metrics on a real (tiny) OpenHuman-Synth corpus: each metric must tell real motion from
broken motion the way it claims to (FGD, beat consistency, emotion judge, diversity, seams, feet,
hands, semantic recall, γ-monotonicity), and `openhuman eval` must run end to end."""
import json

import numpy as np
import pytest

from openhuman.engine.motion import pose
from openhuman.engine.motion.motion import Motion
from openhuman.engine.motion.skeleton_zeggs import zeggs_skeleton
from openhuman.engine.speech.words import WordSpan
from openhuman.training.corpus import build_corpus
from openhuman.training.evaluation import beat, diversity, physical
from openhuman.training.evaluation.emotion_classifier import EmotionClassifier, train_emotion_classifier
from openhuman.training.evaluation.fgd import FGD, frechet_between, frechet_distance
from openhuman.training.evaluation.gamma import gamma_monotonicity, is_monotonic
from openhuman.training.evaluation.motion_autoencoder import MotionEncoder, train_autoencoder
from openhuman.training.evaluation.segments import EvalSplit, derangement
from openhuman.training.evaluation.semantic import semantic_recall
from openhuman.training.windows_dataset import WindowDataset

SK = zeggs_skeleton()
FPS = 20.0
SEGMENT = 88  # two model windows (80 frames, 8 overlapping): one seam at frame 72
STARTS, OVERLAP = [0, 72], 8
SPLIT = "train"  # the tiny corpus's test takes are too short to halve into segments; the metrics do not care


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Ten blocks of six 4.5-second takes (espeak speech, procedural motion): 8 train, 1 val, 1 test."""
    out = tmp_path_factory.mktemp("eval") / "corpus"
    build_corpus(out, 0.075, seed=1, workers=2, librivox=None, progress=False, item_seconds=(4.5, 4.5))
    return out


@pytest.fixture(scope="module")
def encoder(corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("ae") / "ae.safetensors"
    train_autoencoder(corpus, path, steps=60, batch_size=8, crop=32, channels=32, latent=16)
    return MotionEncoder.load(path)


@pytest.fixture(scope="module")
def classifier(corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("clf") / "clf.safetensors"
    train_emotion_classifier(corpus, path)
    return EmotionClassifier.load(path)


def _takes(corpus, split):
    ds = WindowDataset(corpus, split, stride=10 ** 9, normalise=False)
    return ds, [t for t in ds.takes if t.split == split]


def _motion(features):
    return pose.decode(features, SK, FPS)


# --- FGD ---------------------------------------------------------------------------------------

def test_frechet_distance_of_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert frechet_between(a, a) < 1e-6
    shifted = frechet_between(a, a + np.array([2.0, 0.0, 0.0]))
    assert abs(shifted - 4.0) < 1e-6  # a pure shift costs its squared length
    # N(0, 1) vs N(0, 4) in one dimension: (1 - 2)^2 = 1
    assert abs(frechet_distance(np.zeros(1), np.eye(1), np.zeros(1), 4 * np.eye(1)) - 1.0) < 1e-6


def test_fgd_floor_is_far_below_the_mean_pose(corpus, encoder):
    split = EvalSplit(corpus, SPLIT)
    a, b = split.segments(100, SEGMENT, "A"), split.all_segments(SEGMENT, "B")
    assert {s.emotion for s in a} == set(split.emotions) == {s.emotion for s in b}
    fgd = FGD(encoder, [s.motion for s in b], [s.audio for s in b], split.meta["audio_spec"])
    floor = fgd.fgd([s.motion for s in a])
    assert fgd.fgd([s.motion for s in b]) < 1e-6 * max(floor, 1.0)  # the reference against itself
    mean = np.tile(split.data.normaliser.mean, (SEGMENT, 1))
    assert fgd.fgd([mean] * len(a)) > 5 * floor
    # real motion with the wrong audio: the same motions, so the motion-only FGD is exactly the floor
    wrong = [a[j].motion for j in derangement(a)]
    assert fgd.fgd(wrong) == pytest.approx(floor, rel=1e-9)
    assert encoder.reconstruction_error(a[0].motion) < 1.0  # it learned something (input variance ~1)


# --- beat consistency --------------------------------------------------------------------------

def test_beat_consistency_of_real_motion_beats_mismatched_motion(corpus):
    ds, takes = _takes(corpus, "train")
    spec = ds.meta["audio_spec"]
    real, wrong = [], []
    for i, t in enumerate(takes):
        audio = np.asarray(ds.audio[t.start:t.start + t.frames])
        other = takes[(i + 7) % len(takes)]  # another take, another emotion
        n = min(t.frames, other.frames)
        real.append((_motion(np.asarray(ds.motion[t.start:t.start + t.frames])), audio))
        wrong.append((_motion(np.asarray(ds.motion[other.start:other.start + n])), audio[:n]))
    bc = {name: beat.segment_beat_consistency([m for m, _ in pairs], [a for _, a in pairs], spec)["bc"]
          for name, pairs in (("real", real), ("wrong", wrong))}
    assert bc["real"] > 1.08 * bc["wrong"], bc
    still = _motion(np.tile(ds.normaliser.mean, (100, 1)))
    assert beat.motion_beats(still).size == 0
    assert beat.segment_beat_consistency([still], [real[0][1][:100]], spec)["bc"] == 0.0


def test_beat_consistency_formula():
    onsets = np.array([1.0, 2.0, 3.0])
    assert beat.beat_consistency(onsets + 0.01, onsets) > 0.99
    assert beat.beat_consistency(onsets + 0.3, onsets) < 0.02
    assert beat.beat_consistency(np.zeros(0), onsets) == 0.0


# --- emotion classifier ------------------------------------------------------------------------

def test_emotion_classifier_judges_held_out_real_windows(corpus, classifier):
    held = classifier.metadata["training"]["held_out"]
    assert held["split"] == "test" and held["windows"] >= 6
    assert held["accuracy"] >= 5 / 6, held
    ds, takes = _takes(corpus, "test")
    right = [classifier.predict(_motion(np.asarray(ds.motion[t.start:t.start + t.frames]))) == t.emotion for t in takes]
    assert np.mean(right) >= 5 / 6
    assert classifier.predict(_motion(np.tile(ds.normaliser.mean, (80, 1)))) in classifier.emotions
    p = classifier.probabilities(_motion(np.asarray(ds.motion[takes[0].start:takes[0].start + 80])))
    assert p.shape == (6,) and abs(p.sum() - 1) < 1e-9


# --- diversity ---------------------------------------------------------------------------------

def test_diversity_is_zero_for_the_mean_pose_and_positive_for_real_motion(corpus):
    split = EvalSplit(corpus, SPLIT)
    segs = split.segments(6, SEGMENT)
    mean = _motion(np.tile(split.data.normaliser.mean, (SEGMENT, 1)))
    assert diversity.diversity_across_inputs([mean] * len(segs)) == 0.0
    assert diversity.diversity_across_seeds([[mean, mean], [mean, mean]]) == 0.0
    real = diversity.diversity_across_inputs([_motion(s.motion) for s in segs])
    assert 0.03 < real < 1.0  # metres: different gestures, same body


# --- physical plausibility ---------------------------------------------------------------------

def test_seam_metric_flags_an_artificial_jump(corpus):
    split = EvalSplit(corpus, SPLIT)
    segs = split.segments(8, SEGMENT)
    motions = [_motion(s.motion) for s in segs]
    smooth = physical.seam_acceleration_ratio(motions, STARTS, OVERLAP)
    cut = STARTS[1] + 2  # inside the crossfade: the second window continues another take's motion
    spliced = [_motion(np.concatenate([a.motion[:cut], b.motion[cut:]])) for a, b in zip(segs, segs[1:] + segs[:1])]
    broken = physical.seam_acceleration_ratio(spliced, STARTS, OVERLAP)
    assert 0.4 < smooth < 1.6
    assert broken > 2.0 * smooth and broken > 2.0, (smooth, broken)


def test_foot_sliding_zero_when_static_positive_when_sliding(corpus):
    split = EvalSplit(corpus, SPLIT)
    seg = split.segments(1, SEGMENT)[0]
    still = _motion(np.tile(split.data.normaliser.mean, (SEGMENT, 1)))
    assert physical.foot_sliding(still) == 0.0
    real = _motion(seg.motion)
    assert physical.foot_sliding(real) < 0.02  # the synthesiser plants the feet
    glide = real.root_positions + np.arange(SEGMENT)[:, None] / FPS * np.array([0.5, 0.0, 0.0])
    sliding = physical.foot_sliding(Motion(glide, real.rotations, FPS, SK))
    assert sliding == pytest.approx(0.5, abs=0.05)


def test_hand_penetration_zero_for_real_motion_positive_for_a_hand_in_the_chest(corpus):
    split = EvalSplit(corpus, SPLIT)
    real = _motion(split.segments(1, SEGMENT)[0].motion)
    assert physical.hand_penetration(real)["fraction"] == 0.0
    pos, rot = real.world_transforms()
    fore, hand, chest = SK.index("LeftForeArm"), SK.index("LeftHand"), SK.index("Spine2")
    local = real.local_translations()
    from openhuman.engine.motion import quat

    inside = slice(20, 40)  # one second with the left hand pushed into the chest
    local[inside, hand] = quat.rotate(quat.conjugate(rot[inside, fore]), pos[inside, chest] - pos[inside, fore])
    pierced = Motion(real.root_positions, real.rotations, FPS, SK, local)
    result = physical.hand_penetration(pierced)
    assert result["fraction"] == pytest.approx(20 / 85, abs=0.07) and result["depth_m"] > 0.05


# --- semantic recall ---------------------------------------------------------------------------

def test_semantic_recall_real_motion_finds_its_gestures_and_the_mean_pose_does_not(corpus):
    ds, takes = _takes(corpus, "train")
    motions, words = [], []
    for t in takes[:24]:
        motions.append(_motion(np.asarray(ds.motion[t.start:t.start + t.frames])))
        words.append([WordSpan(*w) for w in t.words])
    real = semantic_recall(motions, words)
    still = _motion(np.tile(ds.normaliser.mean, (max(t.frames for t in takes[:24]), 1)))
    none = semantic_recall([still] * len(words), words)
    assert real["words"] >= 20
    assert real["recall"] >= 0.7, real
    assert none["recall"] < 0.5 * real["recall"], none


# --- γ-monotonicity ----------------------------------------------------------------------------

def test_monotonicity_rule():
    assert is_monotonic(np.array([0.1, 0.2, 0.4, 0.7, 0.9]))
    assert is_monotonic(np.array([0.1, 0.2, 0.195, 0.7, 0.9]))  # a dip within tolerance
    assert not is_monotonic(np.array([0.1, 0.5, 0.3, 0.7, 0.9]))
    assert not is_monotonic(np.array([0.0, 0.0, 0.0, 0.0, 0.0]))  # flat: A never shows
    curves = {("A", "B"): np.array([[0.1, 0.3, 0.5, 0.7, 0.9]]), ("B", "A"): np.array([[0.9, 0.1, 0.5, 0.2, 0.1]])}
    summary = gamma_monotonicity(curves)
    assert summary["fraction"] == 0.5 and summary["failing"] == ["B>A"]


# --- openhuman eval end to end -----------------------------------------------------------------

def _run_cli(argv, capsys):
    from openhuman.cli.main import main

    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_command_end_to_end(corpus, encoder, classifier, tmp_path, capsys):
    """`openhuman eval --quick` with an untrained (random) tiny denoiser: every stage, DDPM-1000 included."""
    import torch

    from openhuman.training.train import TrainConfig, build_model, export_model

    torch.manual_seed(0)
    ds = WindowDataset(corpus, "train")
    model = build_model(TrainConfig(architecture={"latent": 16, "layers": 1, "heads": 2, "dropout": 0.0}), ds)
    path = export_model(tmp_path / "random.safetensors", model, ds, {"note": "untrained"})
    results = _run_cli(["eval", "--data", str(corpus), "--model", str(path), "--quick", "--device", "cpu",
                        "--split", SPLIT, "--segment-frames", str(SEGMENT), "--autoencoder", str(encoder.path),
                        "--classifier", str(classifier.path), "--out", str(tmp_path / "out")], capsys)
    s = results["systems"]
    assert set(s) == {"real", "mismatched", "mean_pose", "procedural", "model"}
    assert results["floor"]["fgd"] == s["real"]["fgd"] < s["mean_pose"]["fgd"]
    assert s["procedural"]["fgd"] < s["mean_pose"]["fgd"]
    assert s["model"]["fgd"] > 2 * results["floor"]["fgd"]  # noise is not motion
    assert s["mean_pose"]["bc"] == 0.0 and s["mean_pose"]["diversity_inputs"] == 0.0
    assert s["real"]["emotion_accuracy_own"] >= 5 / 6
    assert results["gamma"]["pairs"] == 30 and len(results["gamma"]["curves"]) == 30
    assert results["ddpm_vs_default"]["ddpm"]["steps"] == 1000
    assert len(results["emotion"]["model"]["confusion"]) == 6
    passed = {t["target"]: t["pass"] for t in results["targets"]}
    assert passed["fgd <= 2 x floor"] is False and passed["emotion accuracy >= 0.85"] is False
    for png in ("metrics.png", "motion.png", "emotion.png"):
        assert (tmp_path / "out" / png).stat().st_size > 10_000
    assert json.loads((tmp_path / "out" / "eval.json").read_text())["systems"]["model"]["fgd"] == s["model"]["fgd"]
    md = (tmp_path / "out" / "eval.md").read_text()
    assert "| model |" in md and "| emotion accuracy >= 0.85 |" in md and "**no**" in md


# --- rebuilding a corpus take's speech (for the procedural baseline) ------------------------------

def test_rebuilt_speech_of_every_take_is_accepted_and_another_takes_is_refused(corpus):
    from openhuman.engine.errors import OpenHumanError
    from openhuman.training.evaluation.speech import TakeSpeech

    split = EvalSplit(corpus, SPLIT)
    stored = lambda t: split.data.audio[t.start:t.start + t.frames]  # noqa: E731
    speech = TakeSpeech(split.meta, stored)
    takes = split.takes
    for take in takes:  # built by two workers, rebuilt here in one process: espeak-ng's drift is tolerated
        assert len(speech.samples(take)) > 0
    swapped = {t.id: o for t, o in zip(takes, takes[1:] + takes[:1])}
    wrong = TakeSpeech(split.meta, lambda t: stored(swapped[t.id]))
    with pytest.raises(OpenHumanError, match="does not match"):
        wrong.samples(takes[0])


def test_loudness_agreement_tolerates_drift_not_other_speech(speech_dir):
    from openhuman.engine.speech.audio import load_audio
    from openhuman.engine.conditions.audio_features import compute_audio_features
    from openhuman.training.evaluation.speech import (MAX_MEDIAN_LOUDNESS_DIFF_DB, MIN_LOUDNESS_CORRELATION,
                                                      loudness_agreement)

    clips = sorted(speech_dir.glob("*.wav"))
    a = load_audio(clips[0])
    from openhuman.engine.conditions.audio_features import PARTS

    rms = sum(d for name, d in PARTS[:[name for name, _ in PARTS].index("rms_db")])
    loud = lambda x: compute_audio_features(x)[:, rms]  # noqa: E731
    # 0.3 % slower, plus 0.05 s later: a drift growing to 0.1 s over 30 s, as espeak-ng's few samples
    # per sentence add up
    t = np.arange(int(len(a) * 1.003)) / 1.003
    drifted = np.concatenate([np.zeros(800, np.float32), np.interp(t, np.arange(len(a)), a).astype(np.float32)])
    diff, corr = loudness_agreement(loud(drifted), loud(a))
    assert diff <= MAX_MEDIAN_LOUDNESS_DIFF_DB and corr >= MIN_LOUDNESS_CORRELATION, (diff, corr)
    b = load_audio(clips[1])
    n = min(len(a), len(b))
    diff, corr = loudness_agreement(loud(b[:n]), loud(a[:n]))
    assert diff > MAX_MEDIAN_LOUDNESS_DIFF_DB or corr < MIN_LOUDNESS_CORRELATION, (diff, corr)


# --- sampler study ---------------------------------------------------------------------------------

def test_sampler_study_reports_every_sampler_against_real_motion(corpus, tmp_path):
    import torch

    from openhuman.training.evaluation.sampler_study import detail_share, study
    from openhuman.training.train import TrainConfig, build_model, export_model

    torch.manual_seed(0)
    ds = WindowDataset(corpus, "train")
    model = build_model(TrainConfig(architecture={"latent": 16, "layers": 1, "heads": 2, "dropout": 0.0}), ds)
    path = export_model(tmp_path / "random.safetensors", model, ds, {"note": "untrained"})
    result = study(str(path), str(corpus), windows=2, samplers=(("dpm", 3), ("dpm-sde", 3)))
    assert set(result["samplers"]) == {"real", "dpm-3", "dpm-sde-3"} and result["windows"] == 2
    for row in result["samplers"].values():
        assert 0.0 <= row["detail_share"] <= 1.0 and row["hand_speed"] >= 0.0
    real = _motion(ds.motion[:80])
    still = Motion(real.root_positions, np.repeat(real.rotations[:1], 80, 0), real.fps, real.skeleton)
    assert detail_share(still) == pytest.approx(0.0, abs=1e-12)  # float noise of the moving root only


def test_sampler_study_rows_are_read_as_name_and_steps():
    import argparse

    from openhuman.training.evaluation.sampler_study import parse_samplers

    assert parse_samplers("dpm-sde:20, ddpm:1000") == (("dpm-sde", 20), ("ddpm", 1000))
    for bad in ("dpm-sde", "dpm-sde:0", "dpm:x"):
        with pytest.raises(argparse.ArgumentTypeError, match="name:steps"):
            parse_samplers(bad)


def test_smoothing_study_judges_every_sigma_on_the_same_samples(corpus):
    """Synthetic part of the smoothing study: one sampling per segment and emotion, judged after each σ."""
    from openhuman.engine.constants import BUNDLED_MODEL
    from openhuman.training.evaluation.smoothing_study import synthetic_accuracy

    result = synthetic_accuracy(str(corpus), str(BUNDLED_MODEL), inputs=1, sigmas=(0.0, 1.0))
    assert result["inputs"] == 1 and set(result["sigmas"]) == {"0.0", "1.0"}
    for row in result["sigmas"].values():
        assert 0.0 <= row["accuracy"] <= 1.0 and len(row["per_emotion"]) == 6
