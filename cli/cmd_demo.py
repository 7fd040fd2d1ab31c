"""`openhuman demo`: the bundled voice clip to an animated armature, saved as .blend, .bvh and a preview."""
from pathlib import Path

NAME = "demo"
HELP = "Animate the bundled voice clip: writes demo.blend, demo.bvh and a preview (PNG sheet, MP4)."


def add_arguments(p):
    p.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    p.add_argument("--emotion", default="Happy")
    p.add_argument("--method", choices=["model", "procedural"],
                   help="default: the bundled model if present, else the procedural synthesiser")
    p.add_argument("--no-video", action="store_true", help="skip the MP4 (the PNG sheet is still rendered)")


def run(args) -> int:
    from ..engine.constants import BUNDLED_MODEL, EXAMPLE_TRANSCRIPT, EXAMPLE_VOICE
    from ..operators.headless import generate_scene

    method = args.method or ("model" if BUNDLED_MODEL.exists() else "procedural")
    print(f"OpenHuman demo: {EXAMPLE_VOICE.name} with the {method} method, emotion {args.emotion}")
    paths = generate_scene(str(EXAMPLE_VOICE), str(EXAMPLE_TRANSCRIPT), str(Path(args.out).resolve()), "demo",
                           emotion=args.emotion, method=method.upper(), video=not args.no_video)
    for kind, path in paths.items():
        print(f"  {kind:6s} {path}")
    return 0
