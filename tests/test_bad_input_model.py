"""Bad model files and bad options: refused at load or before any work, in one line, without a traceback,
without an output file, and without allocating what a crafted header asks for."""
import shutil

import pytest
from safetensors.torch import load_file

from bad_input_support import VOICE, assert_clean_failure, openhuman, tiny_model_file
from openhuman.engine.diffusion.modelfile import read_metadata
from openhuman.engine.motion.pose import SLICES
from test_modelfile import rewrite  # writes tensors and metadata back with a matching checksum

pytestmark = pytest.mark.bad_input


@pytest.fixture(scope="module")
def good_model(tmp_path_factory):
    return tiny_model_file(tmp_path_factory.mktemp("model") / "tiny.safetensors")


def crafted(tmp_path, good_model, name, tensors=None, **metadata_changes):
    """A copy of the tiny model with changed tensors/metadata and a matching checksum (a careless tool)."""
    metadata = read_metadata(good_model)
    for key, value in metadata_changes.items():
        metadata[key] = {**metadata["architecture"], **value} if key == "architecture" else value
    path = tmp_path / f"{name}.safetensors"
    shutil.copy(good_model, path)
    rewrite(path, tensors, metadata)
    return path


def generate_with(model, out, *extra):
    return openhuman("generate", "--audio", VOICE, "--text", "hi there", "--model", model, "--steps", "2",
                     "--out", out, *extra)


@pytest.mark.parametrize("latent", [4096, 16384])
def test_header_asking_for_a_huge_network_is_refused_before_allocating(tmp_path, good_model, latent):
    model = crafted(tmp_path, good_model, f"latent{latent}", architecture={"latent": latent})
    run = generate_with(model, tmp_path / "x.bvh")
    assert_clean_failure(run, str(model.name))
    assert "latent" in run.error_line() or "shape" in run.error_line()
    assert run.peak_mb < 1500, run.peak_mb
    assert not (tmp_path / "x.bvh").exists()


def test_a_model_whose_tensors_do_not_fit_its_architecture_names_the_weights(tmp_path, good_model):
    model = crafted(tmp_path, good_model, "layers", architecture={"layers": 2})
    line = assert_clean_failure(generate_with(model, tmp_path / "x.bvh"), "weights do not fit")
    assert "missing weights" in line


@pytest.mark.parametrize("change, needle", [
    ({"fps": 0}, "fps"),
    ({"fps": 1e9}, "fps"),
    ({"emotions": ["Happy", "Sad", "Neutral", "Angry", "Happy", "Old"]}, "repeat"),
    ({"skeleton": {"names": ["Hips"], "parents": [0], "offsets": [[0, 0, 0]]}}, "skeleton"),
    ({"skeleton": {"names": ["Hips", "Spine"], "parents": [-1, 0], "offsets": [[0, 0, 0]]}}, "skeleton"),
])
def test_metadata_that_would_fail_after_sampling_is_refused_at_load(tmp_path, good_model, change, needle):
    model = crafted(tmp_path, good_model, "meta", **change)
    run = generate_with(model, tmp_path / "x.bvh")
    assert_clean_failure(run, needle)
    assert "window" not in run.stderr  # refused before sampling began
    assert not (tmp_path / "x.bvh").exists()


def test_a_skeleton_the_pose_codec_cannot_decode_is_refused_at_load(tmp_path, good_model):
    skeleton = {"names": ["Hips", "Spine"], "parents": [-1, 0], "offsets": [[0, 0, 0], [0, 0.1, 0]]}
    model = crafted(tmp_path, good_model, "small_skeleton", skeleton=skeleton)
    assert_clean_failure(generate_with(model, tmp_path / "x.bvh"), "2 joints", "cannot be used")


@pytest.mark.parametrize("what", ["nan_weight", "huge_std", "zero_std"])
def test_non_finite_or_absurd_tensors_are_refused(tmp_path, good_model, what):
    tensors = load_file(str(good_model))
    if what == "nan_weight":
        name = next(k for k in tensors if k.startswith("model."))
        tensors[name] = tensors[name].clone()
        tensors[name].view(-1)[0] = float("nan")
    else:
        tensors["norm.std"] = tensors["norm.std"].clone().fill_(1e30 if what == "huge_std" else 0.0)
    model = crafted(tmp_path, good_model, what, tensors=tensors)
    line = assert_clean_failure(generate_with(model, tmp_path / "x.bvh"), "damaged")
    assert ("NaN" in line) if what == "nan_weight" else ("norm.std" in line)
    assert not (tmp_path / "x.bvh").exists()


def test_a_model_whose_output_is_implausible_is_refused_after_sampling(tmp_path, good_model):
    tensors = load_file(str(good_model))
    mean = tensors["norm.mean"].clone()
    mean[SLICES["ROOT_POS"]] = 500.0  # the body 500 m from the origin
    model = crafted(tmp_path, good_model, "far", tensors={**tensors, "norm.mean": mean})
    assert_clean_failure(generate_with(model, tmp_path / "x.bvh"), "not plausible")
    assert not (tmp_path / "x.bvh").exists()


def test_a_folder_given_as_the_model_is_called_a_folder(tmp_path):
    assert_clean_failure(generate_with(tmp_path, tmp_path / "x.bvh"), "is a folder")


def test_the_good_model_still_generates(tmp_path, good_model):
    run = generate_with(good_model, tmp_path / "x.bvh")
    assert run.rc == 0, run.stderr[-2000:]
    assert (tmp_path / "x.bvh").stat().st_size > 1000


OPTION_CASES = [
    (["--gamma", "nan"], ["gamma", "finite"]),
    (["--gamma", "inf"], ["gamma", "finite"]),
    (["--gamma", "1.5"], ["gamma", "0 to 1"]),
    (["--gamma", "-0.1", "--emotion-b", "Sad"], ["gamma", "0 to 1"]),
    (["--intensity", "nan"], ["intensity", "finite"]),
    (["--intensity", "99"], ["intensity", "0 to 10"]),
    (["--seed", "1180591620717411303424"], ["seed", "0 to 4294967295"]),
    (["--seed", "-1"], ["seed", "0 to 4294967295"]),
    (["--steps", "0"], ["steps", "1 to 1000"]),
    (["--device", "tpu"], ["device", "auto, cpu or cuda"]),
]
SAMPLER_ONLY = ("--steps", "--device")  # settings the procedural method does not use


@pytest.mark.parametrize("method, args, needles", [
    (method, args, needles) for method in ("model", "procedural") for args, needles in OPTION_CASES
    if method == "model" or args[0] not in SAMPLER_ONLY
])
def test_impossible_options_are_refused_alike_by_every_method(tmp_path, good_model, method, args, needles):
    run = openhuman("generate", "--audio", VOICE, "--text", "hi", "--method", method, "--model", good_model,
                    "--out", tmp_path / "x.bvh", *args)
    assert_clean_failure(run, *needles)
    assert not (tmp_path / "x.bvh").exists()
