#!/usr/bin/env python3
"""Peer timing for `robustlab bench gemm --peer`: float32 GEMM through numpy.

Prints one JSON line per shape, {"m":..,"n":..,"k":..,"gflops":..,"peer":"openblas"},
measured the way robustlab measures itself: one warm-up product, then the best
of 5 timings of enough repeated products to take about 0.2 s.

Shapes are M,N,K[,AB] with AB one of NN (default), TN, NT, TT: the storage
of A and B, as in robustlab's Sgemm (TN is the convolution's backward-data
product W^T x dY, NT its backward-weight product dY x col^T). numpy passes
transposed views to BLAS without copying them.

The thread count is OPENBLAS_NUM_THREADS, which must be set before numpy is
imported; --threads sets it. The BLAS library numpy loaded is named on
stderr so that a run against something other than OpenBLAS is visible.
"""
import argparse
import json
import os
import sys
import time


def parse_shape(text):
    parts = text.split(",")
    if len(parts) not in (3, 4):
        raise ValueError(f"shape {text!r}: want M,N,K or M,N,K,AB")
    m, n, k = (int(p) for p in parts[:3])
    trans = parts[3].upper() if len(parts) == 4 else "NN"
    if trans not in ("NN", "TN", "NT", "TT") or min(m, n, k) < 1:
        raise ValueError(f"shape {text!r}: sizes must be positive and AB one of NN, TN, NT, TT")
    return m, n, k, trans


def loaded_blas():
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.split()[-1].lower()}
    except OSError:
        return "unknown"
    return ", ".join(sorted(paths)) or "unknown"


def measure(np, m, n, k, trans, rng):
    a = rng.standard_normal((k, m) if trans[0] == "T" else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if trans[1] == "T" else (k, n), dtype=np.float32)
    op_a = a.T if trans[0] == "T" else a
    op_b = b.T if trans[1] == "T" else b
    c = np.empty((m, n), dtype=np.float32)
    start = time.perf_counter()
    np.matmul(op_a, op_b, out=c)
    once = max(time.perf_counter() - start, 1e-7)
    reps = max(1, int(0.2 / once))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(reps):
            np.matmul(op_a, op_b, out=c)
        best = min(best, (time.perf_counter() - start) / reps)
    return 2.0 * m * n * k / best / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shapes", nargs="+", help="M,N,K or M,N,K,AB")
    ap.add_argument("--threads", type=int, help="sets OPENBLAS_NUM_THREADS")
    args = ap.parse_args()
    if args.threads is not None:
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    try:
        shapes = [parse_shape(s) for s in args.shapes]
    except ValueError as e:
        ap.error(str(e))
    import numpy as np

    print(f"openblas_sgemm.py: numpy {np.__version__}, BLAS {loaded_blas()}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}", file=sys.stderr)
    rng = np.random.default_rng(1)
    for m, n, k, trans in shapes:
        gflops = measure(np, m, n, k, trans, rng)
        print(json.dumps({"m": m, "n": n, "k": k, "gflops": round(gflops, 2), "peer": "openblas"}), flush=True)


if __name__ == "__main__":
    main()
