"""Bad BVH files: refused with a BVHError that names the problem and its line, never another exception,
never a runaway allocation; and the writer handles every hierarchy the reader accepts."""
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from openhuman.engine.motion import bvh
from openhuman.engine.errors import BVHError
from openhuman.engine.motion.motion import Motion, Skeleton
from test_bvh import SMALL  # the same two-joint file, one definition

pytestmark = pytest.mark.bad_input

FRAME_TIME_LINE = 18


def _error(text) -> BVHError:
    with pytest.raises(BVHError) as info:
        bvh.loads(text)
    return info.value


@pytest.mark.parametrize("frame_time", ["50", "1e300", "1e-320", "0.0005", "2", "0", "-0.03", "nan", "inf"])
def test_frame_time_outside_1_to_1000_fps_is_refused_with_its_line(frame_time):
    err = _error(SMALL.replace("Frame Time: 0.0333333", f"Frame Time: {frame_time}"))
    assert err.line == FRAME_TIME_LINE and "1 to 1000 fps" in str(err)


@pytest.mark.parametrize("frame_time, fps", [("1", 1.0), ("0.001", 1000.0), ("0.0333333", 30.0)])
def test_frame_times_at_the_bounds_are_read(frame_time, fps):
    motion = bvh.loads(SMALL.replace("Frame Time: 0.0333333", f"Frame Time: {frame_time}"))
    assert motion.fps == pytest.approx(fps, rel=1e-5)


def test_frames_zero_and_frames_the_file_cannot_hold_are_refused():
    assert "no motion" in str(_error(SMALL.replace("Frames: 2", "Frames: 0")))
    # 9 channels need at least 18 characters a frame: 30 frames cannot fit in this file.
    err = _error(SMALL.replace("Frames: 2", "Frames: 30"))
    assert err.line == 17 and "far too short" in str(err)
    # A Unicode digit passes str.isdigit() but is not a number int() reads.
    assert "whole number" in str(_error(SMALL.replace("Frames: 2", "Frames: \u00b2")))


def test_channel_count_messages_say_what_is_wrong():
    seven = "CHANNELS 7 Xposition Yposition Zposition Zrotation Yrotation Xrotation Xrotation"
    err = _error(SMALL.replace("CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation", seven))
    assert err.line == 5 and "lists 7 channels; a joint has at most 6" in str(err)
    err = _error(SMALL.replace("CHANNELS 3 Xrotation Yrotation Zrotation", "CHANNELS 3 Xrotation Yrotation"))
    assert err.line == 9 and "says 3 channels but names 2" in str(err)


def test_utf16_with_a_byte_order_mark_is_read_and_without_one_is_named(tmp_path):
    with_bom = tmp_path / "bom.bvh"
    with_bom.write_bytes(SMALL.encode("utf-16"))  # Python writes the BOM
    assert bvh.load(with_bom).n_frames == 2
    bare = tmp_path / "bare.bvh"
    bare.write_bytes(SMALL.encode("utf-16-le"))
    with pytest.raises(BVHError, match="UTF-16 text without a byte-order mark"):
        bvh.load(bare)


def test_tab_separated_keywords_are_read():
    assert bvh.loads(SMALL.replace("JOINT Spine", "JOINT\tSpine").replace("End Site", "End\tSite")).n_frames == 2


def _chain(depth: int) -> Motion:
    parents = list(range(-1, depth - 1))
    skeleton = Skeleton([f"j{i}" for i in range(depth)], parents, np.tile([0.0, 1.0, 0.0], (depth, 1)))
    rotations = np.tile([1.0, 0.0, 0.0, 0.0], (2, depth, 1))
    return Motion(np.zeros((2, 3)), rotations, 30.0, skeleton)


def test_a_999_deep_hierarchy_round_trips_through_save(tmp_path):
    path = tmp_path / "deep.bvh"
    bvh.save(path, _chain(999))
    back = bvh.load(path)
    assert back.skeleton.n_joints == 999 and back.skeleton.parents[-1] == 997


# --- property-based: whatever the text, only BVHError escapes ---

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
@example("HIERARCHY\nROOT a\n{\nCHANNELS 1 Xrotation\n}\nMOTION\nFrames: 1\nFrame Time: 1e-320\n0\n")
@example("HIERARCHY\nROOT a\n{\n}\nMOTION\nFrames: 1\nFrame Time: 0.03\n")
def test_arbitrary_text_raises_only_bvh_error(text):
    try:
        bvh.loads(text)
    except BVHError:
        pass


_TOKENS = ["HIERARCHY", "ROOT", "JOINT", "End", "Site", "{", "}", "OFFSET", "CHANNELS", "MOTION", "Frames:",
           "Frame Time:", "Xrotation", "Yposition", "0", "-1", "7", "1e309", "nan", "\n", "\t", " ", "\u00b2", "#"]


@st.composite
def mutated_bvh(draw):
    """SMALL with a few lines deleted, duplicated or swapped and a few tokens replaced or inserted."""
    lines = SMALL.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "insert"]))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            words = lines[i].split()
            k = draw(st.integers(0, len(words)))
            token = draw(st.sampled_from(_TOKENS) | st.text(max_size=6))
            if kind == "replace" and words:
                words[min(k, len(words) - 1)] = token
            else:
                words.insert(k, token)
            lines[i] = " ".join(words)
        if not lines:
            break
    return "\n".join(lines) + "\n"


_VALUES = st.sampled_from(_TOKENS) | st.text(max_size=5) | st.floats().map(repr) | st.integers(-10**30, 10**30).map(str)


@st.composite
def word_replaced_bvh(draw):
    """SMALL with one to three of its words (keywords, counts, names, numbers) replaced by anything."""
    words = [line.split() for line in SMALL.splitlines()]
    places = [(i, k) for i, line in enumerate(words) for k in range(len(line))]
    for _ in range(draw(st.integers(1, 3))):
        i, k = draw(st.sampled_from(places))
        words[i][k] = draw(_VALUES)
    return "\n".join(" ".join(line) for line in words) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_bvh() | word_replaced_bvh())
@example(SMALL.replace("Frames: 2", "Frames: \u00b2"))
@example(SMALL.replace("Frame Time: 0.0333333", "Frame Time: 7"))
def test_mutated_valid_files_raise_only_bvh_error(text):
    try:
        motion = bvh.loads(text)
    except BVHError:
        return
    assert np.all(np.isfinite(motion.rotations)) and 1.0 <= motion.fps <= 1000.0


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300), st.sampled_from([b"", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xff\xfe\x00\x00"]))
def test_arbitrary_bytes_from_a_file_raise_only_bvh_error(tmp_path, data, bom):
    path = tmp_path / "fuzz.bvh"
    path.write_bytes(bom + data)
    try:
        bvh.load(path)
    except BVHError:
        pass


def test_a_folder_given_as_the_bvh_file_is_named(tmp_path):
    (tmp_path / "take.bvh").mkdir()
    with pytest.raises(BVHError, match="take.bvh: this is a folder, not a BVH file"):
        bvh.load(tmp_path / "take.bvh")
