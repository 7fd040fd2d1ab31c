"""One settings object: the panel's, the command line's and a batch job's settings become GenerateOptions in
engine/settings.py, checked there once."""
import json

import numpy as np
import pytest

from openhuman.engine.api import GenerateOptions, generate
from openhuman.engine.diffusion.presets import DEFAULT_STEPS, QUALITY
from openhuman.engine.errors import OpenHumanError
from openhuman.engine.settings import SETTINGS, GammaCurve, options_from_settings

from helpers import VOICE


def test_quality_presets_and_sampler_overrides():
    for quality, (sampler, steps, gain) in QUALITY.items():
        options = options_from_settings({"quality": quality.upper()})  # the panel's enum is upper case
        assert (options.sampler, options.steps, options.guidance_gain) == (sampler, steps, gain)
    assert options_from_settings({}).steps == QUALITY["standard"][1]
    assert QUALITY["draft"][1] < QUALITY["standard"][1] and QUALITY["draft"][2] > 1  # fewer steps, stronger guidance
    ddim = options_from_settings({"quality": "draft", "sampler": "ddim"})
    assert (ddim.sampler, ddim.steps) == ("ddim", None)  # a sampler named outright: its own default steps
    assert options_from_settings({"sampler": "ddim", "steps": 7}).steps == 7
    assert options_from_settings({"quality": "reference", "steps": 30}).steps == 30
    # the draft's gain belongs to its own steps: steps or a sampler given outright run at the intensity given
    assert options_from_settings({"quality": "draft", "steps": 8}).guidance_gain == 1.0
    assert ddim.guidance_gain == 1.0
    assert DEFAULT_STEPS["ddim"] == 50


def test_every_entry_gives_the_same_options():
    panel = {"emotion_a": "Happy", "emotion_b": "Sad", "gamma": 0.25, "intensity": 1.5, "seed": 4, "quality": "DRAFT",
             "method": "MODEL", "device": "AUTO", "model": "", "listening": False}
    cli = {"emotion": "Happy", "emotion_b": "Sad", "gamma": 0.25, "intensity": 1.5, "seed": 4, "quality": "draft",
           "method": "model", "device": "auto", "model": None, "listening": False, "sampler": None, "steps": None}
    csv_row = {"emotion": "Happy", "emotion_b": "Sad", "gamma": "0.25", "intensity": "1.5", "seed": "4",
               "quality": "draft"}
    made = [options_from_settings(s).to_dict() for s in (panel, cli, csv_row)]
    assert made[0] == made[1] == made[2]
    assert made[0]["guidance_gain"] == QUALITY["draft"][2]
    # every option is a setting, but the gain, which is the quality preset's
    assert set(GenerateOptions.__dataclass_fields__) - {"emotion", "guidance_gain"} <= set(SETTINGS)


def test_gamma_curve_in_seconds_is_read_per_model_frame():
    options = options_from_settings({"emotion": "Happy", "emotion_b": "Sad",
                                     "gamma": {"times": [0.0, 2.0, 4.0], "values": [0.0, 1.0, 1.0]}})
    assert isinstance(options.gamma, GammaCurve)
    per_frame = options.gamma.per_frame(100)  # 5 s at 20 fps; held after the last key
    assert per_frame[0] == 0.0 and per_frame[20] == pytest.approx(0.5) and per_frame[40:].min() == 1.0
    assert json.loads(json.dumps(options.to_dict()))["gamma"]["values"] == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("settings, needle", [
    ({"quality": "best"}, "quality 'best'"),
    ({"sampler": "euler"}, "sampler 'euler'"),
    ({"colour": "red"}, "setting 'colour'"),
    ({"seed": "4.5"}, "seed"),
    ({"intensity": "strong"}, "intensity"),
    ({"gamma": {"times": [1.0, 0.5], "values": [0.0, 1.0]}}, "increasing"),
    ({"gamma": {"times": [0.0], "values": [2.0]}}, "from 0 to 1"),
    ({"gamma": {"at": [0.0]}}, "keys ['at']"),
    ({"method": "magic"}, "method 'magic'"),
])
def test_impossible_settings_are_named(settings, needle):
    with pytest.raises(OpenHumanError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        options_from_settings(settings)


def test_a_gamma_curve_drives_a_procedural_blend(tmp_path):
    curve = options_from_settings({"emotion": "Happy", "emotion_b": "Sad", "method": "procedural",
                                   "gamma": {"times": [0.0, 1.0], "values": [1.0, 1.0]}})
    number = options_from_settings({"emotion": "Happy", "emotion_b": "Sad", "method": "procedural", "gamma": 1.0})
    a = generate(VOICE, "hello there", curve).motion
    b = generate(VOICE, "hello there", number).motion
    assert np.array_equal(a.rotations, b.rotations)  # a flat curve is its number


def test_a_guidance_gain_outside_the_presets_range_is_refused():
    from openhuman.engine.settings import check_generate_options

    for bad in (0.0, -1.0, 3.0, float("nan")):
        with pytest.raises(OpenHumanError, match="guidance_gain"):
            check_generate_options(GenerateOptions(guidance_gain=bad))
    check_generate_options(GenerateOptions(guidance_gain=1.2))
