#!/bin/sh
# Rebuilds the README's comparison table (the paper's Table 1 on the bundled synthetic shoppers).
#
# Every row runs on one documented subset, the first $SUBSET test sessions by id (the demo's
# sessions), where McNemar's test pairs the same steps: the LLM rows are too slow for the whole
# split on a 2-core CPU (about 1 s a step for the tiny models, about 27 s for SmolLM2). The
# rule-based rows also run on the whole split; FULL=1 runs the tiny fine-tuned models there too.
# A SmolLM2 fine-tuned elsewhere (e.g. on a GPU: `webmimic train --base smollm2 --lora ...`) is
# evaluated on the subset too if $SMOLLM2_FT names its folder. Run by `make table`, after
# `make model` (which leaves build/bundled-model/examples.jsonl). A rerun resumes where it stopped.
set -eu
W=${WEBMIMIC:-.venv/bin/webmimic}
RUNS=${1:-runs/table}
SUBSET=${SUBSET:-12}
NORAT=${NORAT:-build/tiny-no-rationales}
SMOLLM2_FT=${SMOLLM2_FT:-}
mkdir -p "$RUNS"

# The ablation: the bundled model's recipe and data, without rationales.
if [ ! -f "$NORAT/config.json" ]; then
    $W train --examples build/bundled-model/examples.jsonl --out "$NORAT" --no-rationales $TINY_RECIPE
fi

run() {  # run NAME AGENT [eval flags]: skips a finished run, resumes a cut-off one
    run_dir=$RUNS/$1 run_agent=$2  # sh has no locals: names the loop below does not use
    shift 2
    if [ -f "$run_dir/metrics.json" ]; then return; fi
    resume=""
    if [ -d "$run_dir" ]; then resume=--resume; fi
    $W eval --agent "$run_agent" --out "$run_dir" --screenshots 0 $resume "$@"
}

for agent in random heuristic "hf:$NORAT" bundled; do
    name=$(basename "${agent#hf:}")
    run "subset-$name" "$agent" --limit "$SUBSET"
    case "$agent" in random | heuristic) run "$name" "$agent" --workers 2 ;; esac
    if [ -n "${FULL:-}" ]; then run "$name" "$agent" --workers 2; fi
done
# Prompt-only, in the fine-tuned models' context (4,096 tokens; its own 8,192 doubles the time a step takes).
run subset-smollm2 smollm2 --limit "$SUBSET" --context-tokens 4096
finetuned=""
if [ -n "$SMOLLM2_FT" ]; then
    run subset-smollm2-ft "hf:$SMOLLM2_FT" --limit "$SUBSET"
    finetuned="$RUNS/subset-smollm2-ft"
fi

echo "## Whole test split"
whole="$RUNS/random $RUNS/heuristic"
if [ -n "${FULL:-}" ]; then whole="$whole $RUNS/tiny-no-rationales $RUNS/bundled"; fi
$W compare --markdown $whole
echo
echo "## First $SUBSET test sessions"
$W compare --markdown "$RUNS/subset-random" "$RUNS/subset-heuristic" "$RUNS/subset-smollm2" \
    "$RUNS/subset-tiny-no-rationales" "$RUNS/subset-bundled" $finetuned
