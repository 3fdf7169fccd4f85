#!/bin/sh
# Rebuilds the README's comparison table (the paper's Table 1 on the bundled synthetic shoppers).
#
# Fast agents (random, heuristic, the tiny fine-tuned models) run on the whole bundled test
# split. The 135M-parameter SmolLM2 rows are too slow for it on a 2-core CPU, so every row also
# runs on one documented subset, the first $SUBSET test sessions by id (the demo's sessions),
# where McNemar's test pairs the same steps. A SmolLM2 fine-tuned elsewhere (e.g. on a GPU:
# `webmimic train --base smollm2 --lora ...`) is evaluated on the subset too if $SMOLLM2_FT names
# its folder. Run by `make table`, after `make model` (which leaves build/bundled-model/examples.jsonl).
# A rerun resumes where it stopped.
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
    name=$1 agent=$2
    shift 2
    if [ -f "$RUNS/$name/metrics.json" ]; then return; fi
    resume=""
    if [ -d "$RUNS/$name" ]; then resume=--resume; fi
    $W eval --agent "$agent" --out "$RUNS/$name" --screenshots 0 $resume "$@"
}

for agent in random heuristic "hf:$NORAT" bundled; do
    name=$(basename "${agent#hf:}")
    run "$name" "$agent" --workers 2
    run "subset-$name" "$agent" --limit "$SUBSET"
done
run subset-smollm2 smollm2 --limit "$SUBSET"
finetuned=""
if [ -n "$SMOLLM2_FT" ]; then
    run subset-smollm2-ft "hf:$SMOLLM2_FT" --limit "$SUBSET"
    finetuned="$RUNS/subset-smollm2-ft"
fi

echo "## Whole test split"
$W compare --markdown "$RUNS/random" "$RUNS/heuristic" "$RUNS/tiny-no-rationales" "$RUNS/bundled"
echo
echo "## First $SUBSET test sessions"
$W compare --markdown "$RUNS/subset-random" "$RUNS/subset-heuristic" "$RUNS/subset-smollm2" \
    "$RUNS/subset-tiny-no-rationales" "$RUNS/subset-bundled" $finetuned
