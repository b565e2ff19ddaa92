#!/usr/bin/env python3
"""Data-parallel training on N nodes, on paper: step time = compute of the node's share of the batch + the gradient
sum (a ring allreduce), with and without overlapping the sum with the backward pass.

Inputs are measurements (BENCHMARKS.md, "Beyond one machine"): a step's seconds per sample on one node, the
gradient's floats, the bucket size; the links are assumptions, stated. Usage: python3 scaling_model.py
"""

# (name, seconds per sample on one 2-core node, parameters, global batch). Per sample: `idgenrec bench --config
# tiny|small --threads 2` train steps (batch 32, source 128), medians of BENCHMARKS.md's three-repetition series:
# 516.7 and 19.16 examples/s; tiny is the Beauty recipe's recommender shape.
MODELS = [
    ("Beauty recipe (d 128, 1.9M)", 1 / 516.7, 1_943_296, 64),
    ("t5-small (60.5M)", 1 / 19.16, 60_506_624, 256),
]
# (name, bandwidth per node in bytes/s, latency per message in s)
LINKS = [("25 Gb/s Ethernet (TCP)", 25e9 / 8, 25e-6), ("100 Gb/s InfiniBand", 100e9 / 8, 2e-6)]
BUCKET = 4 * 1024 * 1024            # floats per allreduce call (DataParallel.bucketSize)
# Seconds per float a node spends beyond the wire (copies into buckets, the sums): bounded by the whole 2-rank
# allreduce in one machine, `mpirun -np 2 idgenrec bench --only allreduce` (55.15 ms for t5-small's 60.5M floats).
PACK = 55.15e-3 / 60_506_624
BACKWARD = 2 / 3                    # share of a step that is the backward pass, which a bucketed sum can overlap


def allreduce(floats, nodes, bandwidth, latency, bucket=BUCKET):
    buckets = -(-floats // bucket)
    ring = 2 * (nodes - 1)
    return buckets * ring * latency + ring / nodes * floats * 4 / bandwidth + floats * PACK


def step(per_sample, batch, floats, nodes, link, overlap, bucket=BUCKET):
    compute = per_sample * batch / nodes
    communicate = allreduce(floats, nodes, link[1], link[2], bucket)
    if overlap:   # the sum of each bucket starts as soon as its gradients are done; the last bucket's cannot hide
        hidden = min(communicate * (1 - 1 / max(1, -(-floats // bucket))), BACKWARD * compute)
        return compute + communicate - hidden, compute, communicate
    return compute + communicate, compute, communicate


for name, per_sample, floats, batch in MODELS:
    one = per_sample * batch
    print(f"\n{name}: global batch {batch}, one node {one * 1000:.1f} ms a step")
    print("| link | nodes | compute ms | allreduce ms | speed-up, no overlap | speed-up, overlapped | weak scaling (batch per node fixed), efficiency |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for link in LINKS:
        for nodes in (8, 32, 64):
            plain, compute, communicate = step(per_sample, batch, floats, nodes, link, overlap=False)
            overlapped, _, _ = step(per_sample, batch, floats, nodes, link, overlap=True)
            weak = one / (one + allreduce(floats, nodes, link[1], link[2]))
            print(f"| {link[0]} | {nodes} | {compute * 1000:.2f} | {communicate * 1000:.2f} | {one / plain:.1f}x | {one / overlapped:.1f}x | {weak:.0%} |")
    # The bucket size trades latency (one ring of messages per bucket) against how much of the sum can overlap.
    link = LINKS[0]
    sizes = [2**18, 2**20, 2**22, 2**24]
    print(f"bucket size on {link[0]}, 64 nodes, overlapped: " + ", ".join(
        f"{b * 4 / 2**20:g} MB {one / step(per_sample, batch, floats, 64, link, True, b)[0]:.1f}x" for b in sizes))
