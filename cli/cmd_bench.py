"""`openhuman bench`: speed and memory numbers, measured side by side in one run, printed as JSON."""
import json
import resource
import subprocess
import sys

NAME = "bench"
HELP = ("Measure a real clip end to end (process start to file written), recognition and alignment, feature extraction, sampling "
        "(CPU, and CUDA when present) and keyframe writing; print JSON.")
SECTIONS = ("end-to-end", "speech", "features", "sampling", "keyframes")


def add_arguments(p):
    p.add_argument("--only", choices=SECTIONS, action="append", help="run only these sections")
    p.add_argument("--model", help="model file (default: the bundled model, else a fresh default-size model)")
    p.add_argument("--seconds", type=float, default=60.0, help="audio length to time (default 60)")
    p.add_argument("--speech", help="folder of LibriVox clips with their transcription to time end to end "
                   "(default: ../shared/data/speech, else Debian's pocketsphinx-testdata)")
    p.add_argument("--reference", action="store_true", help="also time the DDPM-1000 reference sampler (slow)")


def _keyframes_in_blender() -> dict:
    # A separate process: Blender (bpy) and the timing of torch work should not share one interpreter.
    code = ("import json; from openhuman.operators.bench_keyframes import benchmark_keyframes; "
            "print('JSON' + json.dumps(benchmark_keyframes()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(next(line[4:] for line in out.splitlines() if line.startswith("JSON")))


def run(args) -> int:
    sections = args.only or list(SECTIONS)
    report = {}
    if "end-to-end" in sections:
        from ..training.bench_end_to_end import benchmark_end_to_end

        report["end_to_end"] = benchmark_end_to_end(args.model, speech=args.speech)
    if "speech" in sections:
        from ..training.bench_speech import benchmark_asr

        report["speech"] = benchmark_asr()
    if "features" in sections:
        from ..training.bench_features import benchmark_audio_features

        report["features"] = benchmark_audio_features(args.seconds)
    if "sampling" in sections:
        from ..training.bench_sampling import benchmark_sampling

        report["sampling"] = benchmark_sampling(args.model, args.seconds, reference=args.reference)
    if "keyframes" in sections:
        report["keyframes"] = _keyframes_in_blender()
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(report, indent=2))
    return 0
