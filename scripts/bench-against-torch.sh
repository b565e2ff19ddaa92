#!/usr/bin/env bash
# Times this engine and the PyTorch + transformers peer on the same work, interleaved, REPETITIONS times each
# (default 3), then prints min / median / max per measurement and the ratio of the medians.
# Raw JSON lines go to bench-raw.jsonl (each tagged with its repetition); run it on an otherwise idle machine.
# Both run once per matrix-product precision in PRECISIONS (default: float32, and bfloat16 where this machine
# offers it): like with like, the peer's bfloat16 under CPU autocast (scripts/torch_autocast.py).
#
# Usage: [PRECISIONS="float32 bfloat16"] scripts/bench-against-torch.sh PATH/TO/torch_t5_anchor.py [REPETITIONS]
set -euo pipefail

peer=${1:?usage: scripts/bench-against-torch.sh PATH/TO/torch_t5_anchor.py [REPETITIONS]}
repetitions=${2:-3}
cd "$(dirname "$0")/.."
swift build -c release --product idgenrec
binary=$(swift build -c release --show-bin-path)/idgenrec
if [ -z "${PRECISIONS:-}" ]; then
    PRECISIONS=float32
    if "$binary" bench --config tiny --only train --steps 1 --precision bfloat16 >/dev/null 2>&1; then PRECISIONS="float32 bfloat16"; fi
fi
raw=bench-raw.jsonl
: > "$raw"
for repetition in $(seq 1 "$repetitions"); do
    for config in tiny small; do
        for precision in $PRECISIONS; do
            "$binary" bench --config "$config" --threads 2 --precision "$precision" | sed "s/^{/{\"repetition\":$repetition,/" >> "$raw"
        done
        python3 "$peer" --config "$config" --threads 2 | sed "s/^{/{\"repetition\":$repetition,/" >> "$raw"
        if [[ " $PRECISIONS " == *" bfloat16 "* ]]; then
            python3 scripts/torch_autocast.py "$peer" --config "$config" --threads 2 | sed "s/^{/{\"repetition\":$repetition,/" >> "$raw"
        fi
    done
done
python3 - "$raw" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def values(anchor, what, config, key, precision):
    return [r[key] for r in rows if r["anchor"].startswith(anchor) and r["what"] == what and r.get("config") == config
            and r.get("precision", "float32") == precision]
precisions = sorted({r.get("precision", "float32") for r in rows if r["anchor"] == "swift" and r["what"] != "sgemm_peak"}, reverse=True)
def spread(v):
    return f"{min(v):g} / {statistics.median(v):g} / {max(v):g}"
print("| config | what | products (both) | this engine (min / median / max) | peer (min / median / max) | ratio of medians | share of the float32 sgemm peak (median) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for config in ("tiny", "small"):
    for precision in precisions:
        ours, theirs = values("swift", "train_step", config, "examples_per_s", precision), values("torch", "train_step", config, "examples_per_s", precision)
        share = statistics.median(values("swift", "train_step", config, "share_of_peak", precision))
        print(f"| {config} | train step, examples/s | {precision} | {spread(ours)} | {spread(theirs)} | {statistics.median(ours) / statistics.median(theirs):.2f}x | {share:.1%} |")
    for precision in precisions:
        ours, theirs = values("swift", "constrained_beam_search", config, "ms_per_user", precision), values("torch", "constrained_beam_search", config, "ms_per_user", precision)
        print(f"| {config} | constrained beam search, ms/user | {precision} | {spread(ours)} | {spread(theirs)} | {statistics.median(theirs) / statistics.median(ours):.1f}x | |")
peaks = [r["gflops_per_s"] for r in rows if r["what"] == "sgemm_peak"]
print(f"\nsgemm peak measured by bench: {spread(peaks)} GFLOP/s")
PY
