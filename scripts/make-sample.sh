#!/usr/bin/env bash
# Rebuilds data/beauty-sample: 2,000 users drawn with seed 0 from the preprocessed Amazon 2014 5-core Beauty
# dataset (a folder with user_sequence.txt and items.jsonl), with their full sequences and items.
# The draw is deterministic: the same input gives byte-identical files.
#
# Usage: scripts/make-sample.sh PATH/TO/beauty
set -euo pipefail

source_folder=${1:?usage: scripts/make-sample.sh PATH/TO/beauty}
cd "$(dirname "$0")/.."

swift build -c release --product idgenrec
binary=$(swift build -c release --show-bin-path)/idgenrec
"$binary" data sample "$source_folder" --format project --users 2000 --seed 0 --out data/beauty-sample
"$binary" data stats data/beauty-sample
