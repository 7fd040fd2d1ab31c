"""The style statistics: measured afresh from the Bandai-Namco captures in ../shared, compared with
the stored table (a stale table fails) and with the facts DESIGN.md states."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from openhuman.engine.motion import bvh
from openhuman.training import style_reference as ref
from openhuman.engine.errors import OpenHumanError
from openhuman.engine.motion.motion import Motion
from openhuman.training import style_measure as sm
from openhuman.training import style_stats as ss
from openhuman.training import style_table as st
from openhuman.training import style_table_output as so

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fresh(bandai_dir):
    return st.style_stats(bandai_dir)


def _take(bandai_dir, content, style, take=1):
    return bandai_dir / f"dataset-1_{content}_{style}_{take:03d}.bvh"


def _close(stored, measured, name, where):
    # One unit of the last stored digit: rounding plus float noise across machines.
    tolerance = 10.0 ** -ref.DECIMALS[name] + 1e-9
    assert abs(stored - measured) <= tolerance, f"{where} {name}: stored {stored}, measured {measured:.6f}"


def test_stored_table_matches_a_fresh_measurement(fresh):
    assert set(ref.TABLE) == set(fresh.table) == set(sm.STYLES)
    for style in sm.STYLES:
        assert set(ref.TABLE[style]) == set(ref.QUANTITIES)
        for name in ref.QUANTITIES:
            _close(ref.TABLE[style][name], fresh.table[style][name], name, style)
            assert set(ref.PER_CONTENT[style][name]) == set(fresh.per_content[style][name])
            for content, value in fresh.per_content[style][name].items():
                _close(ref.PER_CONTENT[style][name][content], value, name, f"{style}/{content}")
    for emotion in st.EMOTIONS:
        for name in ref.QUANTITIES:
            _close(ref.EMOTIONS[emotion][name], fresh.emotions[emotion][name], name, emotion)
    for name in ref.QUANTITIES:
        for content, value in fresh.normal[name].items():
            _close(ref.NORMAL[name][content], value, name, f"normal {content}")
    assert ref.AGREEMENT == fresh.rounded().agreement


def test_documentation_tables_are_the_stored_ones():
    document = (REPO / "docs" / "emotion-styles.md").read_text()
    assert so.tables_in(document) == so.markdown(st.stored_stats())


def test_reference_module_describes_the_quantities():
    assert ref.QUANTITIES == tuple(q.name for q in sm.QUANTITIES)
    assert ref.KIND == {q.name: q.kind for q in sm.QUANTITIES}
    assert set(ref.KIND.values()) == {"ratio", "offset"}
    assert ref.EMOTION_NAMES == ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed")
    assert so.REGENERATE in ref.__doc__ and so.REGENERATE in ref.ABOUT


def test_reference_json_is_what_the_writer_writes_from_the_stored_numbers():
    shipped = (REPO / "training" / "style_reference.json").read_text()
    assert so.reference_json(st.stored_stats()) == shipped


def test_every_style_is_measured_on_every_content(fresh):
    contents = {"bow", "bye", "byebye", "guide", "walk"}
    for style in sm.STYLES:
        for name in ref.QUANTITIES:
            expected = contents - sm.OPEN_ENDED_CONTENTS if name == "duration" else contents
            assert set(fresh.per_content[style][name]) == expected, (style, name)
            values = np.array(list(fresh.per_content[style][name].values()))
            assert np.all(np.isfinite(values))
            if ref.KIND[name] == "ratio":
                assert np.all(values > 0)
    neutral = {name: 1.0 if ref.KIND[name] == "ratio" else 0.0 for name in ref.QUANTITIES}
    assert fresh.table["normal"] == pytest.approx(neutral)


def test_old_leans_forward_with_the_head_lower_and_slower_hands(fresh):
    old = fresh.table["old"]
    assert 10.0 <= old["lean_deg"] <= 17.0
    assert -0.08 <= old["head_height_m"] <= -0.03
    assert 0.4 <= old["hand_speed"] <= 0.65


def test_sad_moves_slowly_and_takes_longer(fresh):
    sad = fresh.table["sad"]
    assert 0.3 <= sad["hand_speed"] <= 0.6
    assert 1.6 <= sad["duration"] <= 2.3
    assert sad["head_pitch_deg"] > 8.0  # head bowed in every content


def test_angry_and_happy_move_faster(fresh):
    assert 1.9 <= fresh.table["angry"]["hand_speed"] <= 2.7
    # DESIGN.md says ×1.2–1.8 for happy; measured over the active span it is ×1.94 (see the docs).
    assert 1.2 <= fresh.table["happy"]["hand_speed"] <= 2.1
    assert fresh.table["happy"]["amplitude"] > 1.2


def test_relaxed_is_halfway_to_tired_with_lower_tension(fresh):
    relaxed, tired = fresh.emotions["Relaxed"], fresh.table["tired"]
    for name in ("lean_deg", "head_height_m", "head_pitch_deg", "shoulder_height_m", "symmetry"):
        assert relaxed[name] == pytest.approx(tired[name] / 2)
    for name in ("amplitude", "duration", "frequency"):
        assert relaxed[name] == pytest.approx(math.sqrt(tired[name]))
    assert relaxed["jerk"] < 1.0 and relaxed["jerk"] < tired["jerk"]
    assert relaxed["hand_speed"] < tired["hand_speed"]
    for emotion, style in st.EMOTION_STYLE.items():
        assert fresh.emotions[emotion] == fresh.table[style]


def test_facing_found_from_the_data_agrees_with_the_walking_direction(bandai_dir):
    body = sm.body_of(_take(bandai_dir, "walk", "normal"))
    travel = body.joint("hips")[-1] - body.joint("hips")[0]
    travel = travel * np.array([1.0, 0.0, 1.0]) / np.linalg.norm(travel * np.array([1.0, 0.0, 1.0]))
    assert np.median(body.facing @ travel) > 0.95
    left = body.local(body.positions[:, [body.index["hand_l"], body.index["hand_r"]]])[..., 0]
    assert np.median(left[:, 0]) > 0.1 and np.median(left[:, 1]) < -0.1  # left hand on the left


def test_time_stretch_scales_the_motion_quantities_as_physics_says(bandai_dir):
    # A walk: its arm swing stays inside the 0.2-5 Hz band at half speed, and duration is per metre.
    motion = bvh.load(_take(bandai_dir, "walk", "normal")).scaled(0.01)
    slow = Motion(motion.root_positions, motion.rotations, motion.fps / 2, motion.skeleton, motion.translations)
    a, b = sm.measure(sm.body_from_motion(motion)), sm.measure(sm.body_from_motion(slow))
    # Not exact: the facing is smoothed over one second, which is fewer frames at half the rate.
    assert b["duration"] == pytest.approx(2 * a["duration"], rel=0.05)
    assert b["hand_speed"] == pytest.approx(a["hand_speed"] / 2, rel=0.03)
    assert b["jerk"] == pytest.approx(a["jerk"] / 8, rel=0.05)
    assert b["frequency"] == pytest.approx(a["frequency"] / 2, rel=0.05)
    assert b["amplitude"] == pytest.approx(a["amplitude"], rel=0.03)
    for name in ("head_height_m", "shoulder_height_m", "hand_height_m"):
        assert b[name] == pytest.approx(a[name], abs=1e-9)
    assert b["lean_deg"] == pytest.approx(a["lean_deg"], abs=1.0)


def test_zeggs_speech_clip_measures_plausibly(zeggs_dir):
    motion = bvh.load(zeggs_dir / "067_Speech_2_part1.bvh").scaled(0.01)
    values = sm.measure(sm.body_from_motion(motion, sm.ZEGGS_JOINTS, "zeggs"))
    assert 1.35 < values["head_height_m"] < 1.8
    assert abs(values["lean_deg"]) < 15 and abs(values["head_pitch_deg"]) < 30
    assert 0.05 < values["hand_speed"] < 1.5
    assert sm.FREQUENCY_BAND_HZ[0] < values["frequency"] < sm.FREQUENCY_BAND_HZ[1]
    assert -1.0 <= values["symmetry"] <= 1.0


def test_centimetres_and_swapped_sides_are_refused(bandai_dir):
    path = _take(bandai_dir, "bow", "normal")
    with pytest.raises(OpenHumanError, match="scaled"):
        sm.body_from_motion(bvh.load(path))
    swapped = {role: sm.BANDAI_JOINTS[role[:-1] + ("r" if role.endswith("l") else "l")]
               if role[-2:] in ("_l", "_r") else name for role, name in sm.BANDAI_JOINTS.items()}
    with pytest.raises(OpenHumanError, match="left and right"):
        sm.body_from_motion(bvh.load(path).scaled(0.01), swapped)
    with pytest.raises(OpenHumanError, match="missing"):
        sm.body_from_motion(bvh.load(path).scaled(0.01), sm.ZEGGS_JOINTS)


def test_bad_folders_and_annotations_are_named(bandai_dir, tmp_path):
    with pytest.raises(OpenHumanError, match="--bandai"):
        sm.find_captures(tmp_path / "absent")
    with pytest.raises(OpenHumanError, match="normal"):
        sm.find_captures(tmp_path)
    link = tmp_path / "dataset-1_bow_normal_001.bvh"
    link.symlink_to(_take(bandai_dir, "bow", "normal"))
    link.with_suffix(".json").write_text(json.dumps({"content": 6, "style": 2}))
    with pytest.raises(OpenHumanError, match="bow/normal"):
        sm.find_captures(tmp_path)


def test_command_line_writes_json_markdown_plot_and_reference(bandai_dir, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    code = ss.main(["--bandai", str(bandai_dir), "--json", str(out / "s.json"), "--markdown", str(out / "s.md"),
                    "--plot", str(out / "s.png"), "--write-reference", str(out / "r.json")])
    assert code == 0
    printed = capsys.readouterr().out
    assert "hand_speed" in printed and "Relaxed" in printed
    data = json.loads((out / "s.json").read_text())
    for style in ref.STYLES:
        for name in ref.QUANTITIES:
            _close(ref.TABLE[style][name], data["table"][style][name], name, style)
    written = json.loads((out / "r.json").read_text())
    shipped = json.loads((REPO / "training" / "style_reference.json").read_text())
    assert list(written) == list(shipped)
    for key in ("about", "styles", "emotion_names", "emotion_style", "quantities", "kind", "unit", "decimals",
                "meaning", "agreement"):
        assert written[key] == shipped[key], key
    for style in ref.STYLES:
        for name in ref.QUANTITIES:
            _close(ref.TABLE[style][name], written["table"][style][name], name, style)
    assert "| old |" in (out / "s.md").read_text()
    png = (out / "s.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert ss.main(["--bandai", str(tmp_path / "absent")]) == 2
