#!/usr/bin/env bash
# The sampler's distillation on one GPU in one go (a lent device machine: no espeak-ng, no internet).
# Usage: scripts/gpu_distill.sh [PYTHON] [OUTDIR] [MINUTES] [--set KEY=VALUE ...]
#   PYTHON   an interpreter with a CUDA build of torch (default: python3);
#   OUTDIR   where the students (round-32/16/8/4.safetensors, ~11 MB each), log.csv and config.json go
#            (default: out/gpu-distill);
#   MINUTES  the rounds' time, all together (default 6); the teacher's motion comes first (about a minute);
#   --set    settings instead of configs/distill-gpu.toml's, e.g. --set batch_size=64.
# Needs .distill/voices.npz, made here with `make distill-pack` (the voices of a corpus, 7 MB an hour),
# carried along. Judge a student here: openhuman eval --real-speech ... --model OUTDIR/round-4.safetensors
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${1:-python3}
OUT_DIR=${2:-out/gpu-distill}
MINUTES=${3:-6}
shift $(( $# < 3 ? $# : 3 ))
VOICES=${OPENHUMAN_VOICES:-.distill/voices.npz}
TEACHER=${OPENHUMAN_TEACHER:-models/openhuman-base.safetensors}
[ -f "$VOICES" ] || { echo "no $VOICES: run 'make distill-pack' here and carry .distill"; exit 1; }
SITE=$(mktemp -d)
ln -s "$PWD" "$SITE/openhuman"
export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
DEVICE=${OPENHUMAN_DISTILL_DEVICE:-cuda}  # cpu: the same steps on a CPU (tests/test_distill.py)
if [ "$DEVICE" = cuda ]; then
  "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: run this on a machine with an NVIDIA GPU')" || exit 1
fi
CORPUS=$(mktemp -d)/voices
"$PY" -m openhuman.training.voices_pack unpack "$VOICES" "$CORPUS" --teacher "$TEACHER" --device "$DEVICE" || exit 1
"$PY" -m openhuman.training.distill configs/distill-gpu.toml --data "$CORPUS" --out "$OUT_DIR" --device "$DEVICE" \
  --teacher "$TEACHER" --budget-minutes "$MINUTES" "$@"
