"""The bundled model loads by default, offline, and moves the character to speech."""
import numpy as np

from openhuman.engine.api import GenerateOptions, generate, load_model
from openhuman.engine.constants import BUNDLED_MODEL, EXAMPLE_TRANSCRIPT, EXAMPLE_VOICE


def test_bundled_model_is_small_and_has_the_six_emotions():
    assert BUNDLED_MODEL.stat().st_size < 50 * 2**20
    bundle = load_model()
    assert bundle.emotions == ["Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed"]
    assert bundle.metadata["training"]["samples_seen"] > 0
    # trained for real voices: audio levels relative to the clip, on speech heard through rooms
    assert bundle.metadata["audio_features"]["version"] == 2
    assert bundle.metadata["training"]["data"]["rooms"] is True


def test_bundled_model_gestures_to_the_example_clip():
    stages = []
    result = generate(EXAMPLE_VOICE, EXAMPLE_TRANSCRIPT, GenerateOptions(emotion="Happy", steps=10, seed=1),
                      progress=lambda fraction, stage: stages.append(stage))
    # sampling is announced before its first step (which also makes the frozen graph), then window by window
    first_window = next(i for i, stage in enumerate(stages) if stage.startswith("window 1 of "))
    assert stages[first_window - 1] == "sampling" and stages.index("audio features") < first_window - 1
    motion = result.motion
    assert motion.fps == 20 and abs(motion.duration - 7.1) < 0.2 and len(result.words) >= 20
    pos = motion.world_positions()
    assert np.all(np.isfinite(pos))
    hands = pos[:, [motion.skeleton.index("LeftHand"), motion.skeleton.index("RightHand")]]
    speed = np.linalg.norm(np.diff(hands, axis=0), axis=-1).mean() * 20
    head = pos[:, motion.skeleton.index("Head"), 1]
    assert 0.05 < speed < 2.0  # hands move, at a human pace
    assert 1.3 < np.median(head) < 1.8  # standing upright
