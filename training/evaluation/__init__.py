"""Evaluation of gesture models on a dataset's test split: `openhuman eval` (see report.py).

Every system (the model, the procedural synthesiser, the data mean pose, real motion with the
wrong audio, real motion) turns the same test segments into Motions; every metric reads Motions
(plus the segment's audio features and words), so all systems are measured the same way.
"""
