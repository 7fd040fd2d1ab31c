"""ZeroEGGs import on the real ZeroEGGs clip: a ZeroEGGs-style folder built from it in tmp_path."""
import json

import numpy as np
import pytest
import soundfile as sf

from openhuman.cli.main import main as cli_main
from openhuman.engine.motion import bvh, pose
from openhuman.engine.errors import OpenHumanError
from openhuman.engine.motion.skeleton_zeggs import zeggs_skeleton
from openhuman.engine.conditions.text_features import LEXICON_WORDS, text_feature_spec
from openhuman.engine.speech.transcript_writers import save_word_spans
from openhuman.engine.speech.words import WordSpan
from openhuman.training.windows_dataset import WindowDataset
from openhuman.training.zeggs_import import (detect_scale, find_takes, import_zeggs, read_info_csv,
                                             read_label_map)

CLIP = "067_Speech_2_part1"


@pytest.fixture(scope="module")
def zeggs_folder(zeggs_dir, tmp_path_factory):
    """Four takes in ZeroEGGs layout: three good ones (one at 60 fps, one with a transcript) and one
    whose audio is 4 s shorter than its motion."""
    src = tmp_path_factory.mktemp("zeggs_src")
    bvh_path, wav_path = zeggs_dir / f"{CLIP}.bvh", zeggs_dir / f"{CLIP}.wav"
    for name in ("001_Happy_0_x_1_0", "002_Sad_0_x_1_0"):
        (src / f"{name}.bvh").symlink_to(bvh_path)
        (src / f"{name}.wav").symlink_to(wav_path)
    sixty = src / "takes60"
    sixty.mkdir()
    bvh.save(sixty / "003_Speech_2_x_1_0.bvh", bvh.load(bvh_path).resampled(60.0))
    (sixty / "003_Speech_2_x_1_0.wav").symlink_to(wav_path)
    audio, rate = sf.read(wav_path, dtype="float32")
    (src / "004_Angry_1_x_1_0.bvh").symlink_to(bvh_path)
    sf.write(src / "004_Angry_1_x_1_0.wav", audio[: len(audio) - 4 * rate], rate)
    save_word_spans(src / "001_Happy_0_x_1_0.json",
                     [WordSpan("we", 1.0, 1.3), WordSpan("never", 1.4, 1.9), WordSpan("agreed", 2.0, 2.6)])
    (src / "info.csv").write_text("file name,style,duration\n001_Happy_0_x_1_0.bvh,Happy,34.4\n"
                                  "002_Sad_0_x_1_0.bvh,Sad,34.4\n003_Speech_2_x_1_0.bvh,Speech,34.4\n"
                                  "004_Angry_1_x_1_0.bvh,Angry,34.4\n")
    (src / "labels.json").write_text(json.dumps({"Speech": "Relaxed"}))
    return src


@pytest.fixture(scope="module")
def imported(zeggs_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("zeggs_out") / "dataset"
    report = import_zeggs(zeggs_folder, out, labels=read_label_map(zeggs_folder / "labels.json"), progress=False)
    return out, report


def test_info_csv_and_label_map_give_each_take_its_emotion(zeggs_folder):
    assert read_info_csv(zeggs_folder / "info.csv")["003_Speech_2_x_1_0"] == "Speech"
    takes, skipped = find_takes(zeggs_folder, read_label_map(zeggs_folder / "labels.json"))
    assert {t.name: t.emotion for t in takes} == {"001_Happy_0_x_1_0": "Happy", "002_Sad_0_x_1_0": "Sad",
                                                  "003_Speech_2_x_1_0": "Relaxed", "004_Angry_1_x_1_0": "Angry"}
    assert skipped == []
    takes, skipped = find_takes(zeggs_folder)  # without the map, "Speech" is no emotion: reported
    assert [name for name, _ in skipped] == ["003_Speech_2_x_1_0"] and "label map" in skipped[0][1]


def test_mismatched_take_is_skipped_with_a_reason(imported):
    out, report = imported
    assert [name for name, _, _ in report.imported] == ["001_Happy_0_x_1_0", "002_Sad_0_x_1_0", "003_Speech_2_x_1_0"]
    assert len(report.skipped) == 1
    name, reason = report.skipped[0]
    assert name == "004_Angry_1_x_1_0" and "30.40 s" in reason and "34.40 s" in reason
    assert "004_Angry_1_x_1_0" in report.summary()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["info"]["skipped"][0][0] == "004_Angry_1_x_1_0"


def test_windows_have_the_method_shapes(imported):
    out, _ = imported
    ds = WindowDataset(out, "train")
    seed, target, audio, text, label = ds[0]
    assert seed.shape == (8, 1141) and target.shape == (80, 1141)
    assert audio.shape == (80, 81) and text.shape == (80, text_feature_spec()["dims"])
    assert ds.emotions[:6] == ["Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed"]
    assert sorted({ds.emotions[i] for i in ds.labels}) == ["Happy", "Relaxed", "Sad"]
    assert len(ds) == 3 * len(range(8, 688 - 80 + 1, 10))
    assert np.isfinite(ds.batch(range(len(ds)))[1]).all()


def test_stored_features_decode_to_the_real_capture_within_1mm(imported, zeggs_dir):
    out, _ = imported
    real = bvh.load(zeggs_dir / f"{CLIP}.bvh").scaled(0.01).resampled(20.0).world_positions()
    ds = WindowDataset(out, "train", normalise=False)
    assert [t.frames for t in ds.takes] == [688, 688, 688]
    for take in ds.takes:  # the 30 fps and the 60 fps copies alike
        stored = np.asarray(ds.motion[take.start:take.start + take.frames])
        back = pose.decode(stored, zeggs_skeleton(), 20.0).world_positions()
        assert np.abs(back - real[: take.frames]).max() < 1e-3, take.id


def test_transcript_beside_a_take_gives_text_features(imported):
    out, _ = imported
    ds = WindowDataset(out, "train", normalise=False)
    text = np.load(out / "text.npy")
    happy, sad = ds.takes[0], ds.takes[1]
    assert happy.words == [["we", 1.0, 1.3], ["never", 1.4, 1.9], ["agreed", 2.0, 2.6]]
    no_text = text[:, 0]  # the first text part is "no_text"
    assert no_text[happy.start:happy.start + happy.frames].max() == 0.0
    assert no_text[sad.start:sad.start + sad.frames].min() == 1.0
    never = 4 + 5 + LEXICON_WORDS.index("never")  # no_text, active, position, onset, 5 categories
    assert text[happy.start + 30, never] == 1.0 and text[happy.start + 20, never] == 0.0


def test_units_are_detected_from_the_hips(zeggs_dir):
    motion = bvh.load(zeggs_dir / f"{CLIP}.bvh")
    assert detect_scale(motion) == 0.01
    assert detect_scale(motion.scaled(0.01)) == 1.0
    assert detect_scale(motion.scaled(10.0)) == 0.001  # millimetres
    with pytest.raises(OpenHumanError, match="--scale"):
        detect_scale(motion.scaled(0.1))  # hips 8.7 units up: decimetres? inches? the user must say


def test_cli_imports_and_reports_skips(zeggs_folder, tmp_path, capsys):
    out = tmp_path / "cli_dataset"
    code = cli_main(["data", "zeggs", "--src", str(zeggs_folder), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "imported 2 takes" in printed and "003_Speech_2_x_1_0" in printed and "004_Angry_1_x_1_0" in printed
    assert WindowDataset(out, "train").meta["splits"]["train"] == 2 * 688


def test_empty_or_wrong_folders_fail_clearly(tmp_path, capsys):
    assert cli_main(["data", "zeggs", "--src", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "src").mkdir()
    assert cli_main(["data", "zeggs", "--src", str(tmp_path / "src"), "--out", str(tmp_path / "o")]) == 2
    assert "no .bvh files" in capsys.readouterr().err


def test_report_on_an_imported_capture(imported, tmp_path, capsys):
    out, _ = imported
    assert cli_main(["data", "report", str(out), "--png", str(tmp_path / "page.png")]) == 0
    printed = capsys.readouterr().out
    assert "ZeroEGGs capture 0.029" in printed and "words: 3" in printed
    assert (tmp_path / "page.png").stat().st_size > 10_000
