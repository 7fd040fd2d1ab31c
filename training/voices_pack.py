"""A corpus's voices in one small file, made a corpus again elsewhere with the teacher's own motion.

Distilling the sampler needs what the student hears and motion where the teacher's steps go, not the
corpus's motion: `pack` keeps the train takes' audio and text features (float16, compressed, about 20 MB
an hour against 190 MB with the motion), their takes and the corpus's metadata, so they travel to a GPU
machine that has neither espeak-ng nor room for the motion. `unpack` writes a corpus from them whose
motion is the teacher's default sampling of every take (its seed the take's index): the student then
learns the teacher's steps on the teacher's own motion. Only numpy and torch are needed to unpack.

    python -m openhuman.training.voices_pack pack corpus/synth-neural .distill/voices.npz --hours 1
    python -m openhuman.training.voices_pack unpack .distill/voices.npz /tmp/voices-corpus --device cuda
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ..engine.constants import BUNDLED_MODEL
from ..engine.errors import OpenHumanError

FORMAT = "openhuman-voices"


def pack(corpus, out, hours: float | None = None) -> Path:
    """The train takes of ``corpus`` (up to ``hours`` of them, in order) as one .npz file."""
    corpus, out = Path(corpus), Path(out)
    meta = json.loads((corpus / "meta.json").read_text())
    takes = [t for t in json.loads((corpus / "takes.json").read_text()) if t["split"] == "train"]
    if hours is not None:
        budget, kept, frames = hours * 3600 * float(meta["fps"]), [], 0
        for take in takes:
            if frames + take["frames"] > budget and kept:
                break
            kept.append(take)
            frames += take["frames"]
        takes = kept
    if not takes:
        raise OpenHumanError(f"{corpus}: no train takes to pack")
    audio, text = (np.load(corpus / f"{name}.npy", mmap_mode="r") for name in ("audio", "text"))
    rows, packed, start = [], [], 0
    for take in takes:
        rows.append(np.arange(take["start"], take["start"] + take["frames"]))
        packed.append({**take, "start": start})
        start += take["frames"]
    rows = np.concatenate(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, format=np.array(FORMAT), meta=np.array(json.dumps(meta)),
                        takes=np.array(json.dumps(packed)), audio=np.asarray(audio[rows], np.float16),
                        text=np.asarray(text[rows], np.float16),
                        normaliser=np.frombuffer((corpus / "normaliser.safetensors").read_bytes(), np.uint8))
    return out


def unpack(packed, out, teacher=None, device: str = "auto", log=print) -> Path:
    """A corpus in ``out`` with the packed voices and the teacher's default sampling of each take as motion."""
    from ..engine.diffusion.modelfile import load_model_file
    from ..engine.diffusion.presets import DEFAULT_INTENSITY
    from ..engine.diffusion.windowed_sampling import generate_motion_features

    with np.load(packed) as data:
        if "format" not in data or str(data["format"]) != FORMAT:
            raise OpenHumanError(f"{packed} is not a voices pack (make one with `voices_pack pack`)")
        meta, takes = json.loads(str(data["meta"])), json.loads(str(data["takes"]))
        audio, text = data["audio"].astype(np.float32), data["text"].astype(np.float32)
        normaliser = data["normaliser"].tobytes()
    bundle = load_model_file(teacher or BUNDLED_MODEL)
    if meta["emotions"] != bundle.emotions:
        raise OpenHumanError(f"{packed}: emotions {meta['emotions']} are not the teacher's {bundle.emotions}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    motion = np.lib.format.open_memmap(out / "motion.npy", mode="w+", dtype=np.float32,
                                       shape=(len(audio), bundle.config.pose_dim))
    started = time.perf_counter()
    for k, take in enumerate(takes):
        rows = slice(take["start"], take["start"] + take["frames"])
        motion[rows] = generate_motion_features(bundle, audio[rows], text[rows], take["emotion"],
                                                strength=DEFAULT_INTENSITY, seed=k, device=device)
        if (k + 1) % 20 == 0 or k + 1 == len(takes):
            log(f"teacher motion: {k + 1}/{len(takes)} takes, {time.perf_counter() - started:.0f} s")
    motion.flush()
    del motion
    np.save(out / "audio.npy", audio)
    np.save(out / "text.npy", text)
    (out / "normaliser.safetensors").write_bytes(normaliser)
    (out / "takes.json").write_text(json.dumps(takes))
    meta["info"] = {**meta.get("info", {}), "motion": f"the default sampling of {Path(bundle.path).name}"}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))  # last: a corpus is whole once it has meta.json
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("pack", help="a corpus's train voices into one .npz")
    a.add_argument("corpus")
    a.add_argument("out")
    a.add_argument("--hours", type=float, help="at most this much speech (default: all train takes)")
    b = sub.add_parser("unpack", help="a corpus from a pack, its motion the teacher's sampling")
    b.add_argument("pack")
    b.add_argument("out")
    b.add_argument("--teacher", help="model file (default: the bundled model)")
    b.add_argument("--device", default="auto")
    args = p.parse_args(argv)
    try:
        if args.command == "pack":
            path = pack(args.corpus, args.out, args.hours)
            print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")
        else:
            print(unpack(args.pack, args.out, args.teacher, args.device, log=lambda line: print(line, flush=True)))
    except OpenHumanError as exc:
        print(f"voices_pack: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
