#!/bin/sh
# AutoAttack parity (issue 10): robustlab's `--attacks autoattack` against the reference
# AutoAttack (fra31/auto-attack, Croce & Hein 2020) on the same model and the same images.
#
#   AUTOATTACK=/tmp/auto-attack bench/autoattack_parity.sh MODEL OUT [DATA] [EPS] [NORM] [N]
#
# AUTOATTACK is a checkout of fra31/auto-attack (not shipped; its autoattack/ package runs on
# Debian's python3-torch 1.13). DATA defaults to shapes:test?size=32, EPS to 8/255, NORM to
# Linf (or L2), N to 1000. Both sides attack the first N images of DATA: bench/dumpimages
# writes them as float32 for PyTorch; robustlab reads the same spec. ROUNDS (default 1)
# alternates the two sides, robustlab first, each with THREADS threads (default 2); every run's wall time
# goes to OUT/times.txt, the parity table to OUT/parity.md. ROBUSTLAB may name a built binary.
set -eu
MODEL=$1
OUT=$2
DATA=${3:-shapes:test?size=32}
EPS=${4:-8/255}
NORM=${5:-Linf}
N=${6:-1000}
ROUNDS=${ROUNDS:-1}
: "${AUTOATTACK:?set AUTOATTACK to a checkout of fra31/auto-attack}"
RL=${ROBUSTLAB:-$OUT/robustlab}
mkdir -p "$OUT"
[ -n "${ROBUSTLAB:-}" ] || go build -o "$RL" ./cmd/robustlab
go run ./bench/dumpimages --data "$DATA" --n "$N" --out "$OUT/images"
suite=autoattack
[ "$NORM" = L2 ] && suite="autoattack?norm=l2"
uptime >> "$OUT/times.txt"
for r in $(seq "$ROUNDS"); do
	s=$(date +%s.%N)
	"$RL" eval --model "$MODEL" --data "$DATA" --n "$N" --attacks "$suite" --eps "$EPS" --threads "${THREADS:-2}" \
		--no-extra-checks --out "$OUT/robustlab-$r" > "$OUT/robustlab-$r.txt" 2>&1
	e=$(date +%s.%N)
	echo "round $r robustlab $(echo "$e - $s" | bc) s" >> "$OUT/times.txt"
	s=$(date +%s.%N)
	PYTHONPATH="$AUTOATTACK" /usr/bin/python3 bench/autoattack_parity.py ref --model "$MODEL" \
		--images "$OUT/images" --eps "$EPS" --norm "$NORM" --threads "${THREADS:-2}" --out "$OUT/reference-$r.json" \
		> "$OUT/reference-$r.txt" 2>&1
	e=$(date +%s.%N)
	echo "round $r reference $(echo "$e - $s" | bc) s" >> "$OUT/times.txt"
done
uptime >> "$OUT/times.txt"
/usr/bin/python3 bench/autoattack_parity.py compare --ref "$OUT/reference-1.json" \
	--robustlab "$OUT/robustlab-1/eval_examples.csv" --suite "$suite" | tee "$OUT/parity.md"
cat "$OUT/times.txt"
