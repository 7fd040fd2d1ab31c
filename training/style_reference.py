"""Measured style statistics: how acted emotional styles differ from normal motion.

The numbers are data, in style_reference.json beside this module, written by
training/style_stats.py from the Bandai-Namco Research Motion dataset 1 (CC BY-NC 4.0; the
contents bow, bye, byebye, guide and walk, each in the nine STYLES); only these numbers enter
the project, never the captures. Regenerate with

    python -m openhuman.training.style_stats --write-reference training/style_reference.json --update-doc docs/emotion-styles.md

(with the dataset in ../shared/data/bandai, or --bandai DIR); tests/test_style_stats.py fails
when these numbers no longer match a fresh measurement. Method: docs/emotion-styles.md.

KIND says how a quantity compares with normal: "ratio" = style / normal of the same content,
"offset" = style - normal, in UNIT. TABLE: style -> quantity -> mean over contents (geometric
for ratios, arithmetic for offsets). AGREEMENT: the share of contents whose own value lies on
the same side of normal as that mean (1.0 = every content agrees). PER_CONTENT: style ->
quantity -> content -> value (duration leaves out the waving contents bye and byebye).
NORMAL: quantity -> content -> the normal take's absolute value. EMOTIONS: the targets for
the six emotions, relative to Neutral: Neutral, Happy, Sad, Angry and Old are the styles
normal, happy, sad, angry and old; Relaxed lies halfway from normal to tired, with hand
speed = amplitude x frequency and jerk = amplitude x frequency^3 (lower tension than tired).
"""
import json
from pathlib import Path

_DATA = json.loads(Path(__file__).with_name("style_reference.json").read_text(encoding="utf-8"))

ABOUT: str = _DATA["about"]
STYLES, EMOTION_NAMES, QUANTITIES = (tuple(_DATA[k]) for k in ("styles", "emotion_names", "quantities"))
EMOTION_STYLE, KIND, UNIT, DECIMALS, MEANING = (
    _DATA[k] for k in ("emotion_style", "kind", "unit", "decimals", "meaning"))
TABLE, AGREEMENT, EMOTIONS, PER_CONTENT, NORMAL = (
    _DATA[k] for k in ("table", "agreement", "emotions", "per_content", "normal"))
