#!/usr/bin/env python3
"""Compares two run folders made by `idgenrec train`: the per-step losses of their logs and the recommender's weights.

Usage: compare_runs.py RUN_A RUN_B   (prints the largest differences; numpy only, safetensors read by hand)
"""
import json, struct, sys
import numpy as np


def tensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        assert entry["dtype"] == "F32", entry["dtype"]
        out[name] = np.frombuffer(data[start:end], dtype=np.float32).reshape(entry["shape"])
    return out


def losses(run):
    steps = [json.loads(line) for line in open(f"{run}/log.jsonl") if '"event":"step"' in line]
    return [(s["phase"], s["step"], s["loss"]) for s in steps]


a, b = sys.argv[1], sys.argv[2]
la, lb = losses(a), losses(b)
assert [x[:2] for x in la] == [x[:2] for x in lb], "the logs hold different steps"
print(f"logged losses: {len(la)}, largest difference {max(abs(x[2] - y[2]) for x, y in zip(la, lb)):.3g}")
wa, wb = tensors(f"{a}/checkpoint/recommender/model.safetensors"), tensors(f"{b}/checkpoint/recommender/model.safetensors")
assert wa.keys() == wb.keys()
worst = max((float(np.abs(wa[k] - wb[k]).max()), k) for k in wa)
print(f"recommender tensors: {len(wa)}, largest weight difference {worst[0]:.3g} ({worst[1]})")
