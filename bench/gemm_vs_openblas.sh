#!/usr/bin/env bash
# Compare robustlab's SGEMM with OpenBLAS (through numpy) on the default
# shapes, alternating the two for ROUNDS rounds, with 2 threads and with 1.
# Usage: bench/gemm_vs_openblas.sh [OUTDIR] [extra flags or shapes for bench gemm]
# Writes OUTDIR/gemm_threads{2,1}.jsonl (one JSON line per shape) and prints
# the tables. Timings are only comparable on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/bench}
shift || true
mkdir -p "$out"
bin=$(mktemp -d)/robustlab
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/robustlab
for t in 2 1; do
  echo "== $t thread(s) ==" >&2
  "$bin" bench gemm --peer --rounds "${ROUNDS:-5}" --threads "$t" "$@" > "$out/gemm_threads$t.jsonl.tmp" 2> >(grep -v '^round\|^openblas_sgemm.py' >&2)
  mv "$out/gemm_threads$t.jsonl.tmp" "$out/gemm_threads$t.jsonl"
done
