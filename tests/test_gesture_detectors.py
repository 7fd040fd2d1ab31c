"""Motion-based gesture detectors: on hand-built motions, on real capture, and on the synthesiser's
semantic gestures (each lexicon entry's gesture must be found within its word in >= 90% of cases)."""
from collections import defaultdict

import numpy as np
import pytest

from openhuman.engine.motion import bvh, quat
from openhuman.engine.motion.motion import Motion
from openhuman.engine.procedural import STYLE_NAMES, synthesise
from openhuman.engine.procedural.arm_ik import limb_world_rotations, local_from_world, solve_two_bone
from openhuman.engine.procedural.hands import finger_joint_names, finger_rotations, shape_vector
from openhuman.engine.procedural.lexicon import CATEGORIES, LEXICON, lookup
from openhuman.engine.motion.skeleton_zeggs import zeggs_skeleton
from openhuman.training.gesture_detectors import DETECTORS, GestureFeatures, clearance, detect

FPS = 20.0
SK = zeggs_skeleton()
REST = SK.rest_world_positions()


# --- hand-built motions ------------------------------------------------------------------------

def _blank(n: int) -> np.ndarray:
    return np.broadcast_to(quat.identity(), (n, SK.n_joints, 4)).copy()


def _place_arm(rot: np.ndarray, side: str, wrist: np.ndarray, palm_down: bool | None = None,
               shape: str = "relaxed") -> None:
    """Pose one arm (spine and clavicle at rest) so its wrist follows `wrist` (F, 3) in world."""
    n = len(rot)
    sign = -1.0 if side == "Right" else 1.0
    arm, fore, hand = (SK.index(f"{side}{j}") for j in ("Arm", "ForeArm", "Hand"))
    shoulder = np.broadcast_to(REST[arm], (n, 3))
    upper, lower = SK.offsets[fore], SK.offsets[hand]
    pole = np.array([sign * 0.5, -1.0, -0.4])
    elbow, end = solve_two_bone(shoulder, wrist, np.linalg.norm(upper), np.linalg.norm(lower), pole)
    hinge = np.array([0.0, -sign, 0.0])
    up_w, low_w = limb_world_rotations(shoulder, elbow, end, upper, lower, hinge, pole)
    rot[:, arm] = up_w
    rot[:, fore] = local_from_world(up_w, low_w)
    if palm_down is not None:  # turn the hand so its palm (rest normal -Y) faces down or up
        normal = quat.rotate(low_w, np.array([0.0, -1.0, 0.0]))
        want = np.array([0.0, -1.0 if palm_down else 1.0, 0.0])
        axis = np.cross(normal, want)
        angle = np.arctan2(np.linalg.norm(axis, axis=1), (normal * want).sum(1))
        turn = quat.from_axis_angle(axis, angle)
        rot[:, hand] = local_from_world(low_w, quat.multiply(turn, low_w))
    fingers = finger_rotations(np.broadcast_to(shape_vector(**{shape: 1.0}), (n, 6)), side)
    for k, name in enumerate(finger_joint_names(side)):
        rot[:, SK.index(name)] = fingers[:, k]


def _motion(rot: np.ndarray) -> Motion:
    root = np.broadcast_to(REST[0], (len(rot), 3)).copy()
    return Motion(root, rot, FPS, SK)


def _arms_down(n: int = 30) -> np.ndarray:
    rot = _blank(n)
    for side, sign in (("Right", -1.0), ("Left", 1.0)):
        arm = SK.index(f"{side}Arm")
        _place_arm(rot, side, np.broadcast_to(REST[arm] + np.array([sign * 0.04, -0.5, 0.08]), (n, 3)).copy())
    return rot


def _detected(rot: np.ndarray) -> set[str]:
    f = GestureFeatures(_motion(rot))
    duration = len(rot) / FPS
    return {name for name in DETECTORS if detect(f, name, 0.2, duration - 0.4)}


def _path(a, b, n):
    u = np.linspace(0.0, 1.0, n)[:, None]
    u = u * u * (3 - 2 * u)
    return np.asarray(a) * (1 - u) + np.asarray(b) * u


def test_standing_with_arms_down_is_no_gesture():
    assert _detected(_arms_down()) == set()


def test_head_shake_and_nod_are_told_apart():
    n = 30
    t = np.arange(n) / FPS
    swing = np.radians(12.0) * np.sin(2 * np.pi * 2.5 * t) * (t > 0.2) * (t < 1.2)
    shake, nodding = _arms_down(n), _arms_down(n)
    shake[:, SK.index("Head")] = quat.from_axis_angle(np.array([0.0, 1.0, 0.0]), swing)
    nodding[:, SK.index("Head")] = quat.from_axis_angle(np.array([1.0, 0.0, 0.0]), np.abs(swing))
    assert _detected(shake) == {"head_shake"}
    assert _detected(nodding) == {"nod"}


def test_pointing_needs_an_extended_index_in_front():
    n = 30
    wrist = np.broadcast_to(REST[SK.index("RightArm")] + np.array([0.02, -0.12, 0.5]), (n, 3)).copy()
    pointing, open_hand = _arms_down(n), _arms_down(n)
    _place_arm(pointing, "Right", wrist, palm_down=True, shape="point")
    _place_arm(open_hand, "Right", wrist, palm_down=True, shape="open")
    assert "point_out" in _detected(pointing)
    assert "point_out" not in _detected(open_hand)
    low = _arms_down(n)
    _place_arm(low, "Right", np.broadcast_to(REST[SK.index("RightArm")] + np.array([0.0, -0.5, 0.05]), (n, 3)).copy(),
               shape="point")
    assert "point_out" not in _detected(low)


def test_hand_on_chest_is_self_pointing():
    n = 30
    chest = REST[SK.index("Spine2")] + np.array([0.05, 0.02, 0.16])
    rot = _arms_down(n)
    _place_arm(rot, "Left", _path(chest + [0.15, -0.3, 0.1], chest, n), shape="open")
    assert "point_self" in _detected(rot)
    far = _arms_down(n)
    _place_arm(far, "Left", _path(chest + [0.15, -0.3, 0.1], chest + [0.1, 0.0, 0.3], n), shape="open")
    assert "point_self" not in _detected(far)


def test_hands_apart_and_together():
    n = 30
    centre = REST[SK.index("Spine2")] + np.array([0.0, -0.05, 0.35])
    apart, together = _arms_down(n), _arms_down(n)
    for side, sign in (("Right", -1.0), ("Left", 1.0)):
        _place_arm(apart, side, _path(centre + [sign * 0.15, 0, 0], centre + [sign * 0.45, 0, 0], n))
        _place_arm(together, side, _path(centre + [sign * 0.3, 0, 0], centre + [sign * 0.05, 0, 0], n))
    assert "hands_apart" in _detected(apart) and "hands_together" not in _detected(apart)
    assert "hands_together" in _detected(together) and "hands_apart" not in _detected(together)


def test_raised_lowered_forward_backward_and_sweep():
    n = 30
    shoulder = REST[SK.index("RightArm")]
    cases = {
        "hand_raised": (shoulder + [-0.15, -0.35, 0.3], shoulder + [-0.15, 0.1, 0.3], None),
        "hand_lowered": (shoulder + [-0.05, -0.25, 0.38], shoulder + [-0.05, -0.48, 0.33], True),
        "hand_forward": (shoulder + [0.0, -0.3, 0.15], shoulder + [0.0, -0.25, 0.5], None),
        "hand_backward": (shoulder + [-0.2, -0.1, 0.4], shoulder + [-0.25, 0.0, 0.1], None),
        "lateral_sweep": (shoulder + [0.2, -0.35, 0.35], shoulder + [-0.25, -0.35, 0.3], None),
    }
    for name, (a, b, palm_down) in cases.items():
        rot = _arms_down(n)
        _place_arm(rot, "Right", _path(a, b, n), palm_down=palm_down)
        assert name in _detected(rot), name
    # moving up and down on the spot is no sweep, and a hand lowered at the side is no "down" gesture
    rot = _arms_down(n)
    _place_arm(rot, "Right", _path(shoulder + [0.0, -0.45, 0.3], shoulder + [0.0, -0.1, 0.3], n))
    assert "lateral_sweep" not in _detected(rot)
    rot = _arms_down(n)
    _place_arm(rot, "Right", _path(shoulder + [-0.1, -0.2, 0.05], shoulder + [-0.05, -0.5, 0.05], n), palm_down=True)
    assert "hand_lowered" not in _detected(rot)


def test_circle_versus_back_and_forth():
    n = 30
    centre = REST[SK.index("RightArm")] + np.array([-0.05, -0.25, 0.35])
    phi = np.linspace(0.0, 2 * np.pi, n)
    circle, line = _arms_down(n), _arms_down(n)
    _place_arm(circle, "Right", centre + 0.12 * np.stack([np.sin(phi), np.cos(phi), 0 * phi], 1))
    _place_arm(line, "Right", centre + 0.12 * np.stack([np.sin(2 * phi), 0 * phi, 0 * phi], 1))
    assert "hand_circle" in _detected(circle)
    assert "hand_circle" not in _detected(line)


def test_palms_up_needs_the_palm_facing_up():
    n = 30
    wrist = np.broadcast_to(REST[SK.index("RightArm")] + np.array([-0.05, -0.3, 0.35]), (n, 3)).copy()
    up, down = _arms_down(n), _arms_down(n)
    _place_arm(up, "Right", wrist, palm_down=False, shape="open")
    _place_arm(down, "Right", wrist, palm_down=True, shape="open")
    assert "palms_up" in _detected(up)
    assert "palms_up" not in _detected(down)


def test_detection_is_limited_to_the_word_window():
    n = 80
    t = np.arange(n) / FPS
    rot = _arms_down(n)
    swing = np.radians(12.0) * np.sin(2 * np.pi * 2.5 * t) * (t > 2.5) * (t < 3.4)
    rot[:, SK.index("Head")] = quat.from_axis_angle(np.array([0.0, 1.0, 0.0]), swing)
    f = GestureFeatures(_motion(rot))
    assert detect(f, "head_shake", 2.6, 3.0)
    assert not detect(f, "head_shake", 0.5, 1.5)
    with pytest.raises(KeyError, match="no detector"):
        detect(f, "wave", 0.0, 1.0)


def test_clearance_flags_a_hand_inside_the_chest():
    n = 10
    rot = _arms_down(n)
    assert min(clearance(_motion(rot)).values()) > 0.0
    _place_arm(rot, "Right", np.broadcast_to(REST[SK.index("Spine2")] + np.array([0.0, 0.05, 0.02]), (n, 3)).copy())
    assert clearance(_motion(rot))["Spine2-Spine3"] < 0.0


def test_real_capture_respects_the_clearance_capsules(zeggs_dir):
    real = bvh.load(zeggs_dir / "067_Speech_2_part1.bvh").scaled(0.01).resampled(FPS)
    margins = clearance(real)
    assert min(margins.values()) > 0.0, margins


# --- the synthesiser's semantic gestures -------------------------------------------------------

SENTENCES = [
    "I think you should look over there.",
    "This one is big, but that one is small.",
    "We never said no to all of them.",
    "Yes, it was a tall and round tower, high up on the hill.",
    "Maybe the future will be better than the past.",
    "Everyone came together between the two old houses.",
    "I can't believe you did everything by yourself.",
    "The river is wide and long, and the road goes down to the sea.",
    "Those little birds are tiny, but these are huge.",
    "Nobody was there, and nothing was left for us.",
    "Sure, my first idea was to walk around the lake.",
    "We always want more, and we don't stop.",
    "Okay, here is the plan for our team.",
    "Absolutely, you are exactly right about this.",
    "It is not over yet, so we won't give up now.",
    "Definitely, many people think the price is too low.",
    "Me? I never said that none of them could come.",
    "Put the small box down here, and the big one up there.",
    "No, not your car, I mean those cars over there.",
    "Think about all the people who stood together in the past.",
    "Maybe we should go around, the bridge is too low.",
    "Yes, these tiny seeds grow into huge and tall trees.",
    "Okay, first we go up, then down, and then around.",
    "Many of us had nothing, but none of us gave up.",
    "Yeah, definitely, it is a big world with many little places.",
    "Yeah, absolutely, everyone knows my idea was always exactly right.",
    "Your house is high on a wide and round hill, between the trees.",
    "We don't have more time, and I can't wait, so we won't go.",
    "Nobody told me everything about our future together.",
    "It was a long day, yeah, sure, but it was worth it.",
]


@pytest.fixture(scope="module")
def semantic_takes():
    """(style, words, motion) for every sentence in every style: speech from espeak-ng."""
    from openhuman.training.speech_synth import synthesise_speech

    takes = []
    for k, style in enumerate(STYLE_NAMES):
        for i, sentence in enumerate(SENTENCES):
            speech = synthesise_speech([sentence], style, seed=100 * k + i)
            takes.append((style, speech.words, synthesise(speech.samples, speech.words, style, seed=i)))
    return takes


def test_every_lexicon_gesture_is_found_within_its_word(semantic_takes):
    per_word, per_category = defaultdict(list), defaultdict(list)
    base_rate = defaultdict(list)
    for style, words, motion in semantic_takes:
        f = GestureFeatures(motion)
        for w in words:
            entry = lookup(w.word)
            if entry is None:
                for name in DETECTORS:
                    base_rate[name].append(detect(f, name, w.start, w.end))
                continue
            found = detect(f, entry.expected, w.start, w.end)
            per_word[entry.word].append(found)
            per_category[entry.category].append(found)
    recall = {word: float(np.mean(v)) for word, v in per_word.items()}
    print("\nrecall per category:", {c: f"{np.mean(per_category[c]):.3f} of {len(per_category[c])}" for c in CATEGORIES})
    print("lowest words:", sorted(recall.items(), key=lambda kv: kv[1])[:8])
    assert set(per_word) == set(LEXICON), f"words never spoken: {set(LEXICON) - set(per_word)}"
    low = {w: r for w, r in recall.items() if r < 0.9}
    assert not low, f"lexicon gestures found in fewer than 90% of their words: {low}"
    # the gestures come from the words, not from ordinary motion: each detector fires far more often
    # on its lexicon words than on words with no lexicon entry
    by_detector = defaultdict(list)
    for word, hits in per_word.items():
        by_detector[LEXICON[word].expected] += hits
    print("detector: on its words / on other words",
          {d: f"{np.mean(v):.2f}/{np.mean(base_rate[d]):.2f}" for d, v in by_detector.items()})
    for name, hits in by_detector.items():
        assert np.mean(hits) >= np.mean(base_rate[name]) + 0.3, name


def test_hands_stay_clear_of_torso_and_head_in_every_take(semantic_takes):
    worst = min((min(clearance(motion).values()), style) for style, _, motion in semantic_takes)
    assert worst[0] > 0.0, f"a hand went inside the body ({worst[1]}): {worst[0]:.3f} m"
