"""Recognition speed against word error rate over the recogniser's search settings, on real speech.

    python -m openhuman.training.asr_settings_study [--out out/asr_study.json]

Each setting decodes every LibriVox clip (../shared/data/speech or Debian's pocketsphinx-testdata)
and the an4 "cards" clips with one decoder; the result is CPU seconds per second of audio (what a
busy machine disturbs least) and WER over all words, beside pocketsphinx's defaults.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..engine.speech.asr import recognition_decoder, transcribe
from ..engine.speech.audio import load_audio
from .librivox import read_librivox_transcription, word_error_rate

REPO = Path(__file__).resolve().parents[1]
FOLDERS = (REPO.parent / "shared" / "data" / "speech", Path("/usr/share/pocketsphinx/test/data/librivox"),
           Path("/usr/share/pocketsphinx/test/data/cards"))
SETTINGS = {
    "defaults": {},
    "no fwdflat": {"fwdflat": False},
    "no fwdflat, no bestpath": {"fwdflat": False, "bestpath": False},
    "narrow beams": {"beam": 1e-40, "wbeam": 1e-24, "pbeam": 1e-40},
    "narrower beams": {"beam": 1e-30, "wbeam": 1e-20, "pbeam": 1e-30},
    "maxhmmpf 3000": {"maxhmmpf": 3000},
    "topn 2": {"topn": 2},
    "ds 2": {"ds": 2},
    "no fwdflat + narrow beams": {"fwdflat": False, "beam": 1e-40, "wbeam": 1e-24, "pbeam": 1e-40},
    "no fwdflat + maxhmmpf 3000": {"fwdflat": False, "maxhmmpf": 3000},
    "no fwdflat + narrow beams + maxhmmpf 3000": {"fwdflat": False, "beam": 1e-40, "wbeam": 1e-24,
                                                  "pbeam": 1e-40, "maxhmmpf": 3000},
    "no fwdflat, no bestpath + maxhmmpf 3000": {"fwdflat": False, "bestpath": False, "maxhmmpf": 3000},
    "no fwdflat, no bestpath + maxhmmpf 2000": {"fwdflat": False, "bestpath": False, "maxhmmpf": 2000},
    "no fwdflat, no bestpath + maxhmmpf 1500": {"fwdflat": False, "bestpath": False, "maxhmmpf": 1500},
    "no fwdflat + maxhmmpf 2000": {"fwdflat": False, "maxhmmpf": 2000},
}


def real_clips() -> list[tuple[str, object, list[str]]]:
    """(name, samples, reference words) of the LibriVox (first folder found) and cards clips."""
    clips, librivox_done = [], False
    for folder in FOLDERS:
        tfile = next(iter(sorted(folder.glob("*transcription"))), None) if folder.is_dir() else None
        if tfile is None or (librivox_done and "cards" not in folder.name):
            continue
        librivox_done |= "cards" not in folder.name
        for name, words in read_librivox_transcription(tfile):
            if (folder / f"{name}.wav").is_file():
                clips.append((f"{folder.name}/{name}", load_audio(folder / f"{name}.wav"), words))
    return clips


def study(settings: dict = SETTINGS, repeats: int = 3) -> dict:
    clips = real_clips()
    audio_s = sum(len(x) for _, x, _ in clips) / 16000
    n_words = sum(len(w) for *_, w in clips)
    out = {"clips": len(clips), "audio_s": round(audio_s, 1), "words": n_words, "settings": {}}
    for label, config in settings.items():
        decoder = recognition_decoder(**config)
        cpu_s, wall_s = [], []
        for _ in range(repeats):  # the fastest of a few passes: this machine's timing noise is ±30 %
            cpu, wall, edits = time.process_time(), time.perf_counter(), 0.0
            for _, samples, reference in clips:
                heard = [s.word for s in transcribe(samples, decoder=decoder)]
                edits += word_error_rate(reference, heard) * len(reference)
            cpu_s.append(time.process_time() - cpu)
            wall_s.append(time.perf_counter() - wall)
        out["settings"][label] = {"config": config, "wer": round(edits / n_words, 4),
                                  "cpu_s_per_audio_s": round(min(cpu_s) / audio_s, 4),
                                  "wall_s_per_audio_s": round(min(wall_s) / audio_s, 4)}
        print(label, out["settings"][label], flush=True)
    base = out["settings"]["defaults"]
    eligible = {k: v for k, v in out["settings"].items() if v["wer"] <= base["wer"] + 0.03}
    best = min(eligible, key=lambda k: eligible[k]["cpu_s_per_audio_s"])
    out["fastest_within_0.03_wer"] = best
    out["speed_up"] = round(base["cpu_s_per_audio_s"] / eligible[best]["cpu_s_per_audio_s"], 2)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    result = study()
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
