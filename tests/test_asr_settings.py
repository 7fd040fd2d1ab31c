"""The recogniser's chosen search settings lose no more than 0.03 WER against pocketsphinx's defaults."""
from openhuman.engine.speech.asr import RECOGNISER_SETTINGS
from openhuman.training.asr_settings_study import real_clips, study


def test_the_chosen_settings_recognise_real_speech_as_well_as_the_defaults(speech_dir):
    assert len(real_clips()) >= 5
    result = study({"defaults": {}, "chosen": RECOGNISER_SETTINGS}, repeats=1)
    defaults, chosen = result["settings"]["defaults"], result["settings"]["chosen"]
    assert chosen["wer"] <= defaults["wer"] + 0.03, result
    assert defaults["wer"] < 0.4  # the clips are real, transcribed speech: a broken decoder would fail here
