#!/usr/bin/env bash
# Retrains data/zero-shot-model: the recommender that serves catalogues it never saw, trained on the three Amazon
# catalogues (Beauty, Sports, Toys; all users) with the bundled vocabulary, which was made from those same three.
# Then packs it with half-precision weights into data/zero-shot-model. Interrupted, run it again: it resumes.
#
# Usage: scripts/train-zero-shot.sh PATH/TO/datasets [RUN_FOLDER]
#   PATH/TO/datasets holds beauty/, sports/ and toys/ in the project format (user_sequence.txt, items.jsonl).
set -euo pipefail

datasets=${1:?usage: scripts/train-zero-shot.sh PATH/TO/datasets [RUN_FOLDER]}
run=${2:-runs/zero-shot-model}
cd "$(dirname "$0")/.."

swift build -c release --product idgenrec
binary=$(swift build -c release --show-bin-path)/idgenrec
data=(--data "$datasets/beauty" --data "$datasets/sports" --data "$datasets/toys")
if [ -f "$run/checkpoint/state.json" ]; then
    "$binary" train "${data[@]}" --out "$run" --resume
else
    "$binary" train "${data[@]}" --out "$run" --config Examples/configs/zero-shot.json --tokenizer vocab/idgenrec-8k.model
fi
rm -rf data/zero-shot-model
"$binary" pack --model "$run" --out data/zero-shot-model --half
