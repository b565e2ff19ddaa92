"""Writes relative_position_buckets.json: transformers' T5 relative-position buckets (T5Attention._relative_position_bucket,
transcribed with numpy float32 in place of torch) for small bucket counts and every max distance from 1 to twice the
buckets, bidirectional (encoder) and causal (decoder), relative positions -24...24. Where transformers' result is
undefined at any relative position up to 100,000 apart (a division by zero in math.log, a NaN or infinity cast to an
integer, a bucket outside 0..<num_buckets, as a max distance below the exact range gives far apart), the case says
"undefined" instead of a table.

    python3 make_bucket_fixture.py > relative_position_buckets.json
"""
import json
import math

import numpy as np


def relative_position_bucket(relative_position, bidirectional, num_buckets, max_distance):
    relative_position = np.asarray(relative_position, dtype=np.int64)
    relative_buckets = np.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).astype(np.int64) * num_buckets
        relative_position = np.abs(relative_position)
    else:
        relative_position = -np.minimum(relative_position, np.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    scale = math.log(max_distance / max_exact)  # ZeroDivisionError when max_exact is 0
    with np.errstate(divide="ignore", invalid="ignore"):
        large = (np.log(relative_position.astype(np.float32) / np.float32(max_exact)) / np.float32(scale)
                 * np.float32(num_buckets - max_exact))
    if not np.all(np.isfinite(large[~is_small])):
        raise ArithmeticError("not finite")
    large = max_exact + np.where(is_small, 0, large).astype(np.int64)
    large = np.minimum(large, num_buckets - 1)
    return relative_buckets + np.where(is_small, relative_position, large)


positions = list(range(-24, 25))
far = list(range(-100_000, 100_001))
cases = []
for buckets in [2, 3, 4, 5, 8, 32]:
    for max_distance in range(1, 2 * buckets + 1):
        for bidirectional in [True, False]:
            case = {"buckets": buckets, "max_distance": max_distance, "bidirectional": bidirectional}
            try:
                every = relative_position_bucket(far, bidirectional, buckets, max_distance)
                if every.min() < 0 or every.max() >= buckets:
                    raise ArithmeticError("bucket out of range")
                table = relative_position_bucket(positions, bidirectional, buckets, max_distance)
                if table.min() < 0 or table.max() >= buckets:
                    raise ArithmeticError("bucket out of range")
                case["bucket_ids"] = table.tolist()
            except (ZeroDivisionError, ArithmeticError, ValueError):
                case["undefined"] = True
            cases.append(case)
print(json.dumps({"relative_positions": positions, "cases": cases}, separators=(",", ":")))
