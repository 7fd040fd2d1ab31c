"""Outputs on the command line: never an input, never a folder, checked writable before any work,
created with the user's umask."""
import os
import shutil
import stat

import pytest

from bad_input_support import VOICE, assert_clean_failure, openhuman

pytestmark = pytest.mark.bad_input
UNWRITABLE = "/proc/openhuman-out"  # not writable even for root, unlike a chmod-ed folder


def procedural(audio, out, *extra):
    return openhuman("generate", "--audio", audio, "--method", "procedural", "--out", out, *extra)


@pytest.mark.parametrize("suffix", [".bvh", ".npz"])
def test_the_clip_is_never_overwritten_by_its_own_result(tmp_path, suffix):
    clip = tmp_path / f"clip{suffix}"
    shutil.copy(VOICE, clip)
    before = clip.read_bytes()
    assert_clean_failure(procedural(clip, clip, "--text", "hi"), "same file as the input")
    assert clip.read_bytes() == before


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_to_the_clip_counts_as_the_clip(tmp_path, link):
    clip = tmp_path / "clip.bvh"
    shutil.copy(VOICE, clip)
    other = tmp_path / "other.bvh"
    (os.symlink if link == "symlink" else os.link)(clip, other)
    before = clip.read_bytes()
    assert_clean_failure(procedural(clip, other, "--text", "hi"), "same file")
    assert clip.read_bytes() == before


def test_the_transcript_is_never_overwritten(tmp_path):
    transcript = tmp_path / "words.bvh"
    transcript.write_text("hi there\n")
    assert_clean_failure(procedural(VOICE, transcript, "--transcript", transcript), "same file")
    assert transcript.read_text() == "hi there\n"


def test_a_folder_named_like_the_output_is_refused_before_the_run(tmp_path):
    (tmp_path / "x.bvh").mkdir()
    run = procedural(VOICE, tmp_path / "x.bvh", "--text", "hi")
    assert_clean_failure(run, "is a folder")
    assert "synthesising" not in run.stdout + run.stderr  # refused before any work


def test_an_unwritable_folder_is_refused_before_the_run(tmp_path):
    run = procedural(VOICE, f"{UNWRITABLE}/x.bvh", "--text", "hi")
    assert_clean_failure(run, "/proc")
    assert "synthesising" not in run.stdout + run.stderr


def test_a_missing_output_folder_is_named(tmp_path):
    assert_clean_failure(procedural(VOICE, tmp_path / "nope" / "x.bvh", "--text", "hi"), "does not exist")


def test_transcribe_refuses_its_own_clip_as_output_and_unwritable_outputs(tmp_path):
    clip = tmp_path / "clip.json"
    shutil.copy(VOICE, clip)
    before = clip.read_bytes()
    text = tmp_path / "words.txt"
    text.write_text("hi\n")
    assert_clean_failure(openhuman("transcribe", "--audio", clip, "--text", text, "--out", clip), "same file")
    assert clip.read_bytes() == before
    (tmp_path / "w.json").mkdir()
    assert_clean_failure(openhuman("transcribe", "--audio", VOICE, "--text", text, "--out", tmp_path / "w.json"),
                         "is a folder")
    assert_clean_failure(openhuman("transcribe", "--audio", VOICE, "--text", text, "--out",
                                   f"{UNWRITABLE}/w.json"), "/proc")


@pytest.mark.parametrize("suffix", [".bvh", ".npz"])
def test_outputs_get_the_umask_s_permissions_not_0600(tmp_path, suffix):
    out = tmp_path / f"x{suffix}"
    old = os.umask(0o022)
    try:  # the child inherits this umask
        run = procedural(VOICE, out, "--text", "hi")
    finally:
        os.umask(old)
    assert run.rc == 0, run.stderr[-2000:]
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
