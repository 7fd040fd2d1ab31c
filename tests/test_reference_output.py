"""Behaviour unchanged: for a fixed seed the bundled model makes the same motion as when the reference
was written, so a refactoring that changes the output by accident fails here.

A change meant to alter the motion (new weights, guidance, sampler) rewrites the reference on purpose:
    .venv/bin/python tests/test_reference_output.py
and says so in its commit.
"""
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "data" / "reference_output.json"
SECONDS = 8.0
SAMPLED_FRAMES = (0, 35, 70, 105, -1)
# Far below what any change of guidance, sampler or weights does (0.05 and more on some quaternion
# component), far above the round-off of another CPU's kernels over 50 sampler steps.
TOLERANCE = 2e-3


def _fingerprint() -> dict:
    import torch

    from openhuman.engine.api import GenerateOptions, generate_for_words
    from openhuman.engine.constants import EXAMPLE_VOICE
    from openhuman.engine.speech.audio import load_audio
    from openhuman.engine.speech.words import WordSpan

    words = [WordSpan(w, 0.3 + 0.45 * k, 0.65 + 0.45 * k)
             for k, w in enumerate("and mister john dashwood had then leisure to consider how much".split())]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = generate_for_words(load_audio(EXAMPLE_VOICE, max_seconds=SECONDS), words,
                                    GenerateOptions(emotion="Happy", seed=7, device="cpu", precision="float32"))
    finally:
        torch.set_num_threads(threads)
    motion = result.motion
    rotations = motion.rotations * np.sign(motion.rotations[..., :1] + 1e-12)  # q and -q are one rotation
    return {"frames": len(rotations),
            "rotations": np.round(rotations[list(SAMPLED_FRAMES)], 5).tolist(),
            "mean_rotation": np.round(rotations.mean(axis=0), 5).tolist(),
            "root": np.round(motion.root_positions[list(SAMPLED_FRAMES)], 5).tolist()}


def test_a_fixed_seed_makes_the_motion_of_the_reference():
    expected = json.loads(REFERENCE.read_text())
    made = _fingerprint()
    assert made["frames"] == expected["frames"]
    for key in ("rotations", "mean_rotation", "root"):
        gap = np.abs(np.asarray(made[key]) - np.asarray(expected[key])).max()
        assert gap < TOLERANCE, f"{key} moved by {gap:.4f} from the reference"


if __name__ == "__main__":
    REFERENCE.write_text(json.dumps(_fingerprint()) + "\n")
    print(f"wrote {REFERENCE}")
