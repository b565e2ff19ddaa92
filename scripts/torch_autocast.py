#!/usr/bin/env python3
"""Runs the PyTorch peer (torch_t5_anchor.py) with its matrix products in bfloat16: the whole script under
torch.autocast("cpu", dtype=torch.bfloat16) (bfloat16 operands, float32 accumulation, as this engine's
--precision bfloat16), each JSON line it prints tagged "precision": "bfloat16".

Usage: python3 scripts/torch_autocast.py PATH/TO/torch_t5_anchor.py [its flags...]
"""
import contextlib, io, json, runpy, sys

import torch

peer = sys.argv[1]
sys.argv = [peer] + sys.argv[2:]
captured = io.StringIO()
with contextlib.redirect_stdout(captured), torch.autocast("cpu", dtype=torch.bfloat16):
    runpy.run_path(peer, run_name="__main__")
for line in captured.getvalue().splitlines():
    row = json.loads(line)
    row["precision"] = "bfloat16"
    print(json.dumps(row))
