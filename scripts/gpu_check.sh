#!/usr/bin/env bash
# The CUDA tests and the GPU benchmark in one go, on a machine with an NVIDIA GPU (`make gpu-check`).
# Usage: scripts/gpu_check.sh [PYTHON] [OUTDIR]
#   PYTHON  an interpreter with a CUDA build of torch (default: python3);
#   OUTDIR  where the test log and the benchmark JSON go (default: out/gpu-check).
# Packages the interpreter lacks may lie as wheels in .whl/ (a machine without internet): they are
# unpacked into a folder of their own, never into the interpreter's. The checkout is imported as
# `openhuman` from where it lies. Speech to time end to end: ../shared/data/speech, or a copy in
# .gpu/speech, or Debian's pocketsphinx-testdata.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${1:-python3}
OUT_DIR=${2:-out/gpu-check}
mkdir -p "$OUT_DIR"
SITE=$(mktemp -d)
if compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE/deps" .whl/*.whl || exit 1
fi
ln -s "$PWD" "$SITE/openhuman"
export PYTHONPATH="$SITE:$SITE/deps${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
"$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: run this on a machine with an NVIDIA GPU')" || exit 1
"$PY" -c "import torch; print('torch', torch.__version__, 'on', torch.cuda.get_device_name(0))" | tee "$OUT_DIR/device.txt"
status=0
"$PY" -m pytest -q -p no:cacheprovider -m cuda $(grep -l "mark.cuda" tests/test_*.py) 2>&1 | tee "$OUT_DIR/cuda-tests.log" || status=1
SPEECH=()
[ -d .gpu/speech ] && SPEECH=(--speech .gpu/speech)
"$PY" -m openhuman.cli bench --only sampling --only end-to-end "${SPEECH[@]}" >"$OUT_DIR/bench.json" \
  2>"$OUT_DIR/bench.err" || { status=1; tail -20 "$OUT_DIR/bench.err"; }
cat "$OUT_DIR/bench.json"
exit $status
