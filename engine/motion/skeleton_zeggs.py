"""The ZeroEGGs 75-joint skeleton (the method's), in metres, Y up, facing +Z.

Joint names and parents follow the ZeroEGGs data definition; rest offsets were measured from
a ZeroEGGs take's hierarchy (cm converted to metres) and are the project's own data.
"""
from __future__ import annotations

from .motion import Skeleton

# (name, parent name, offset from the parent in metres)
_JOINTS = (
    ('Hips', None, (0.0, 0.870359, 0.0)),
    ('Spine', 'Hips', (0.0, 0.088142, -0.020801)),
    ('Spine1', 'Spine', (0.0, 0.088441, 0.0)),
    ('Spine2', 'Spine1', (0.0, 0.116823, 0.0)),
    ('Spine3', 'Spine2', (0.0, 0.117467, 0.0)),
    ('Neck', 'Spine3', (0.0, 0.176583, 0.0)),
    ('Neck1', 'Neck', (0.0, 0.051015, 0.0)),
    ('Head', 'Neck1', (0.0, 0.051015, 0.0)),
    ('HeadEnd', 'Head', (0.0, 0.116551, 0.0)),
    ('RightShoulder', 'Spine3', (-0.026254, 0.111752, 0.0)),
    ('RightArm', 'RightShoulder', (-0.104347, 0.0, 0.0)),
    ('RightForeArm', 'RightArm', (-0.296284, 0.0, 0.0)),
    ('RightHand', 'RightForeArm', (-0.228576, 0.0, 0.0)),
    ('RightHandThumb1', 'RightHand', (-0.039596, -0.028673, 0.029443)),
    ('RightHandThumb2', 'RightHandThumb1', (-0.033504, 0.0, 0.0)),
    ('RightHandThumb3', 'RightHandThumb2', (-0.037565, 0.0, 0.0)),
    ('RightHandThumb4', 'RightHandThumb3', (-0.031473, 0.0, 0.0)),
    ('RightHandIndex1', 'RightHand', (-0.100309, -0.000868, 0.023453)),
    ('RightHandIndex2', 'RightHandIndex1', (-0.040611, 0.0, 0.0)),
    ('RightHandIndex3', 'RightHandIndex2', (-0.032489, 0.0, 0.0)),
    ('RightHandIndex4', 'RightHandIndex3', (-0.026397, 0.0, 0.0)),
    ('RightHandMiddle1', 'RightHand', (-0.09503, 0.001041, 6.8e-05)),
    ('RightHandMiddle2', 'RightHandMiddle1', (-0.045687, 0.0, 0.0)),
    ('RightHandMiddle3', 'RightHandMiddle2', (-0.03655, 0.0, 0.0)),
    ('RightHandMiddle4', 'RightHandMiddle3', (-0.027412, 0.0, 0.0)),
    ('RightHandRing1', 'RightHand', (-0.089217, 0.000868, -0.022674)),
    ('RightHandRing2', 'RightHandRing1', (-0.040611, 0.0, 0.0)),
    ('RightHandRing3', 'RightHandRing2', (-0.03655, 0.0, 0.0)),
    ('RightHandRing4', 'RightHandRing3', (-0.027412, 0.0, 0.0)),
    ('RightHandPinky1', 'RightHand', (-0.07977, -0.001735, -0.044672)),
    ('RightHandPinky2', 'RightHandPinky1', (-0.033504, 0.0, 0.0)),
    ('RightHandPinky3', 'RightHandPinky2', (-0.028428, 0.0, 0.0)),
    ('RightHandPinky4', 'RightHandPinky3', (-0.026397, 0.0, 0.0)),
    ('RightForeArmEnd', 'RightHand', (0.0, 0.0, 0.0)),
    ('RightArmEnd', 'RightForeArm', (0.0, 0.0, 0.0)),
    ('LeftShoulder', 'Spine3', (0.026254, 0.111752, 0.0)),
    ('LeftArm', 'LeftShoulder', (0.108136, 0.0, 0.0)),
    ('LeftForeArm', 'LeftArm', (0.287248, 0.0, 0.0)),
    ('LeftHand', 'LeftForeArm', (0.257162, -0.006444, -0.003289)),
    ('LeftHandThumb1', 'LeftHand', (0.039596, -0.028673, 0.029443)),
    ('LeftHandThumb2', 'LeftHandThumb1', (0.033504, 0.0, 0.0)),
    ('LeftHandThumb3', 'LeftHandThumb2', (0.037565, 0.0, 0.0)),
    ('LeftHandThumb4', 'LeftHandThumb3', (0.031, 0.0, 0.0)),
    ('LeftHandIndex1', 'LeftHand', (0.100309, -0.000868, 0.023453)),
    ('LeftHandIndex2', 'LeftHandIndex1', (0.040611, 0.0, 0.0)),
    ('LeftHandIndex3', 'LeftHandIndex2', (0.032489, 0.0, 0.0)),
    ('LeftHandIndex4', 'LeftHandIndex3', (0.026397, 0.0, 0.0)),
    ('LeftHandMiddle1', 'LeftHand', (0.09503, 0.001041, 6.8e-05)),
    ('LeftHandMiddle2', 'LeftHandMiddle1', (0.045687, 0.0, 0.0)),
    ('LeftHandMiddle3', 'LeftHandMiddle2', (0.03655, 0.0, 0.0)),
    ('LeftHandMiddle4', 'LeftHandMiddle3', (0.027412, 0.0, 0.0)),
    ('LeftHandRing1', 'LeftHand', (0.089217, 0.000868, -0.022674)),
    ('LeftHandRing2', 'LeftHandRing1', (0.040611, 0.0, 0.0)),
    ('LeftHandRing3', 'LeftHandRing2', (0.03655, 0.0, 0.0)),
    ('LeftHandRing4', 'LeftHandRing3', (0.027412, 0.0, 0.0)),
    ('LeftHandPinky1', 'LeftHand', (0.07977, -0.001735, -0.044672)),
    ('LeftHandPinky2', 'LeftHandPinky1', (0.033504, 0.0, 0.0)),
    ('LeftHandPinky3', 'LeftHandPinky2', (0.028428, 0.0, 0.0)),
    ('LeftHandPinky4', 'LeftHandPinky3', (0.026397, 0.0, 0.0)),
    ('LeftForeArmEnd', 'LeftHand', (0.0, 0.0, 0.0)),
    ('LeftArmEnd', 'LeftForeArm', (0.0, 0.0, 0.0)),
    ('RightUpLeg', 'Hips', (-0.112899, 0.0, 0.0)),
    ('RightLeg', 'RightUpLeg', (0.0, -0.382003, 0.0)),
    ('RightFoot', 'RightLeg', (0.0, -0.399009, 0.0)),
    ('RightToeBase', 'RightFoot', (0.0, 0.0, 0.152616)),
    ('RightToeBaseEnd', 'RightToeBase', (0.0, 0.0, 0.073707)),
    ('RightLegEnd', 'RightFoot', (0.0, 0.0, 0.0)),
    ('RightUpLegEnd', 'RightLeg', (0.0, 0.0, 0.0)),
    ('LeftUpLeg', 'Hips', (0.113157, 0.0, 0.0)),
    ('LeftLeg', 'LeftUpLeg', (0.0, -0.382003, 0.0)),
    ('LeftFoot', 'LeftLeg', (0.0, -0.399009, 0.0)),
    ('LeftToeBase', 'LeftFoot', (0.0, 0.0, 0.152616)),
    ('LeftToeBaseEnd', 'LeftToeBase', (0.0, 0.0, 0.0754)),
    ('LeftLegEnd', 'LeftFoot', (0.0, 0.0, 0.0)),
    ('LeftUpLegEnd', 'LeftLeg', (0.0, 0.0, 0.0)),
)

# Joints whose BVH block ends in an End Site, with its offset in metres.
_END_SITES = {
    'HeadEnd': (0.0, 0.0, 0.0),
    'RightHandThumb4': (0.0, 0.0, 0.0),
    'RightHandIndex4': (0.0, 0.0, 0.0),
    'RightHandMiddle4': (0.0, 0.0, 0.0),
    'RightHandRing4': (0.0, 0.0, 0.0),
    'RightHandPinky4': (0.0, 0.0, 0.0),
    'RightForeArmEnd': (0.0, 0.0, 0.0),
    'RightArmEnd': (0.0, 0.0, 0.0),
    'LeftHandThumb4': (0.0, 0.0, 0.0),
    'LeftHandIndex4': (0.0, 0.0, 0.0),
    'LeftHandMiddle4': (0.0, 0.0, 0.0),
    'LeftHandRing4': (0.0, 0.0, 0.0),
    'LeftHandPinky4': (0.0, 0.0, 0.0),
    'LeftForeArmEnd': (0.0, 0.0, 0.0),
    'LeftArmEnd': (0.0, 0.0, 0.0),
    'RightToeBaseEnd': (0.0, 0.0, 0.0),
    'RightLegEnd': (0.0, 0.0, 0.0),
    'RightUpLegEnd': (0.0, 0.0, 0.0),
    'LeftToeBaseEnd': (0.0, 0.0, 0.0),
    'LeftLegEnd': (0.0, 0.0, 0.0),
    'LeftUpLegEnd': (0.0, 0.0, 0.0),
}


def zeggs_skeleton() -> Skeleton:
    """A fresh copy of the 75-joint skeleton."""
    names = [n for n, _, _ in _JOINTS]
    parents = [-1 if p is None else names.index(p) for _, p, _ in _JOINTS]
    offsets = [o for _, _, o in _JOINTS]
    end_sites = {names.index(n): o for n, o in _END_SITES.items()}
    return Skeleton(names, parents, offsets, end_sites)


JOINT_NAMES = tuple(n for n, _, _ in _JOINTS)
N_JOINTS = len(JOINT_NAMES)
