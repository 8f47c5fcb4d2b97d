#!/usr/bin/env python3
"""Writes SIZE bytes of text that compresses like prose, the same on every run and machine:
words drawn from a fixed vocabulary with a fixed seed. usage: make_text.py FILE SIZE"""
import random
import sys

WORDS = ("the proxy cache origin response request header body stream route cluster backend client "
         "server connection timeout health check config value table metric latency throughput "
         "compression encoding brotli gzip zstd variant freshness validation stale revalidate "
         "of and to in a is that for on with as by at from this be are or it an not").split()

path, size = sys.argv[1], int(sys.argv[2])
rng = random.Random(9111)
parts, total = [], 0
while total < size:
    line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))) + f" {rng.randint(0, 99999)}.\n"
    parts.append(line)
    total += len(line)
with open(path, "w") as f:
    f.write("".join(parts)[:size])
