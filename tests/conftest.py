"""Shared test fixtures (where the real data in ../shared lives, one torch thread) and markers.

Markers, so that the engine tests can be run alone (README, Development):
- ``blender``: runs real Blender (the bpy module) in a subprocess — modules and tests named for Blender;
- ``corpus``: builds a corpus (espeak-ng, the neural voice) or trains or evaluates on one;
- ``e2e``: whole clips end to end — the command line in subprocesses, the bundled model, recognition
  of real recordings, the synthesiser's style statistics;
- ``slow``: long training runs (CI runs their short versions);
- ``cuda``: needs a CUDA device (``make gpu-check`` runs them on a GPU machine).

Tests that need ../shared skip when it is absent, except when OPENHUMAN_REQUIRE_SHARED=1
(CI sets it): then a missing ../shared is a failure, so CI can never pass by skipping.
"""
import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI replays the same property examples every run: a commit's CI result must not depend on luck.
# Local runs stay random, so new counter-examples keep being found (and then pinned with @example).
settings.register_profile("ci", derandomize=True)
if os.environ.get("OPENHUMAN_REQUIRE_SHARED") == "1" or os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def _need(path: Path) -> Path:
    if not path.exists():
        message = f"{path} is absent (../shared is not beside this checkout)"
        if os.environ.get("OPENHUMAN_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


E2E_MODULES = {"test_bad_input_cli", "test_bad_input_model", "test_bad_input_text", "test_bundled_model",
               "test_directing", "test_real_speech", "test_bench_end_to_end", "test_words_cache", "test_asr",
               "test_asr_settings", "test_alignment", "test_gesture_detectors", "test_procedural_styles",
               "test_zeggs_import"}
CORPUS_MODULES = {"test_corpus", "test_neural_speech", "test_evaluation", "test_style_report", "test_training",
                  "test_distill"}


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.module.__name__
        if "blender" in module or "blender" in item.name:
            item.add_marker(pytest.mark.blender)
        if module in CORPUS_MODULES:
            item.add_marker(pytest.mark.corpus)
        if module in E2E_MODULES:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _need(SHARED_DATA)


@pytest.fixture(scope="session")
def zeggs_dir(shared_data) -> Path:
    return _need(shared_data / "zeggs")


@pytest.fixture(scope="session")
def speech_dir(shared_data) -> Path:
    return _need(shared_data / "speech")


@pytest.fixture(scope="session")
def bandai_dir(shared_data) -> Path:
    return _need(shared_data / "bandai")


@pytest.fixture
def one_thread():
    """Tiny tensors: one thread is faster, and much faster when other jobs share the cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session", autouse=True)
def private_words_cache(tmp_path_factory):
    """The suite's commands (and their child processes) cache words in a folder of their own, not the user's."""
    os.environ["OPENHUMAN_CACHE"] = str(tmp_path_factory.mktemp("openhuman-cache"))
