# OpenHuman: `make demo` sets up and runs the demo; `make test` sets up and runs the tests.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := espeak-ng sox ffmpeg pocketsphinx-testdata

.PHONY: setup demo test test-all test-bad-input bench gpu-check distill-pack clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v espeak-ng >/dev/null && command -v ffmpeg >/dev/null && [ -d /usr/share/pocketsphinx/test/data ] || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEBIAN_PACKAGES); }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/openhuman demo --out out/demo

test: setup
	$(PY) -m pytest -q -m "not slow" tests

test-bad-input: setup
	$(PY) -m pytest -q -m bad_input tests

test-all: setup
	$(PY) -m pytest -q tests

bench: setup
	$(VENV)/bin/openhuman bench

# On a machine with an NVIDIA GPU: the CUDA tests, then the benchmark (sampling on CPU and CUDA, end to end).
gpu-check: setup
	scripts/gpu_check.sh $(PY)

# Here, before a GPU session: the voices the GPU distils on (.distill/voices.npz, carried along), from an hour of
# neural-voice speech (built first if absent, about 7 minutes). There: scripts/gpu_distill.sh.
VOICES ?= corpus/voices-neural
distill-pack: setup
	@[ -f $(VOICES)/meta.json ] || $(VENV)/bin/openhuman data synth --hours 1 --neural-every 1 --out $(VOICES) --seed 7
	$(PY) -m openhuman.training.voices_pack pack $(VOICES) .distill/voices.npz

clean:
	rm -rf out .pytest_cache
