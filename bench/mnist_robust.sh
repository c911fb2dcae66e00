#!/bin/sh
# The MNIST published-table reproduction (issue 5): Madry et al.'s MNIST CNN adversarially
# trained at Linf eps = 0.3, evaluated as the papers do, with the sanity checks.
#
#   bench/mnist_robust.sh [pgd|fgsm-rs|fgsm-rs-wong] [OUT]     (from the repository root)
#
# Published: Madry et al. 2018, PGD adversarial training, about 98.8% clean and 89% under
# PGD; Wong, Rice & Kolter 2020 ("Fast is better than free"), FGSM with random start,
# 98.5% clean and 88.8% under PGD-50 with 10 restarts.
#
# pgd (default): PGD adversarial training with 5 steps of 0.1 from a random start (Madry et
#   al. use 40 steps of 0.01 for 100,000 batches of 50, some 83 epochs: far beyond 30
#   minutes on two cores), 6 epochs, batch 100, Adam with Wong et al.'s one-cycle learning
#   rate (peak 5e-3 at 40% of the run, per step), no weight decay.
# fgsm-rs: Wong et al.'s fast_adversarial/MNIST/train_mnist.py defaults (batch 100, 10
#   epochs, the same Adam schedule, an unclipped uniform random start) but for the step,
#   alpha = eps = 0.3 instead of their 1.25 eps = 0.375: with 0.375 Madry's CNN, larger than
#   their network, overfits catastrophically at the peak learning rate (held-out PGD-10
#   accuracy 0.74 after epoch 3, 0.34 after epoch 4; the detector rolled back and stopped).
#   Catastrophic overfitting is checked after every epoch (PGD-10 on the first 100 test
#   images; a drop of 0.2 rolls back and stops).
# fgsm-rs-wong: Wong et al.'s setting exactly, on their network (wong-mnist: two 4x4
#   stride-2 convolutions to 16 and 32 channels, a 100-unit layer), with their alpha = 0.375.
#
# Evaluation follows Wong et al.'s evaluate_mnist.py: PGD-50 with step 0.01 and 10 random
# restarts on the first 1,000 test images, and PGD-50 (one start) on all 10,000; on the same
# 1,000, APGD-CE and APGD-DLR too and the per-example worst case over the three (Croce & Hein
# 2020: the attacks that took Madry et al.'s published 89.6% to 88.5%); then FGSM,
# PGD-20, APGD-CE, APGD-DLR and Square (1,000 queries) at eps 0.1 and 0.3 on the first 200,
# with every sanity check. Rerunning resumes a killed training run and repeats no finished
# evaluation. ROBUSTLAB may name a built binary, SEED the training seed (default 0); wall
# times and `uptime` go to OUT/load.txt.
set -eu
REGIME=${1:-pgd}
OUT=${2:-runs/mnist-$REGIME}
case $REGIME in
pgd) TRAIN="--arch madry-mnist --regime pgd --steps 5 --alpha 0.1 --epochs 6" ;;
fgsm-rs) TRAIN="--arch madry-mnist --regime fgsm-rs --alpha 0.3 --check-overfit --epochs 10" ;;
fgsm-rs-wong) TRAIN="--arch wong-mnist --regime fgsm-rs --alpha 0.375 --check-overfit --epochs 10" ;;
*) echo "usage: $0 [pgd|fgsm-rs|fgsm-rs-wong] [OUT]" >&2; exit 2 ;;
esac
RL=${ROBUSTLAB:-}
if [ -z "$RL" ]; then
	go build -o "${TMPDIR:-/tmp}/robustlab-mnist" ./cmd/robustlab
	RL="${TMPDIR:-/tmp}/robustlab-mnist"
fi
mkdir -p "$OUT"
uptime | tee -a "$OUT/load.txt"
start=$(date +%s)
# shellcheck disable=SC2086 # TRAIN is a list of flags
"$RL" train --data mnist:train --eval 'mnist:test?n=1000' --eps 0.3 $TRAIN \
	--batch 100 --opt adam --lr 0.005 --wd 0 --schedule cyclic --peak 0.4 --seed "${SEED:-0}" --out "$OUT"
echo "training wall time: $(( $(date +%s) - start )) s" | tee -a "$OUT/load.txt"
uptime | tee -a "$OUT/load.txt"
eval_once() { # DIR ARGS...: robustlab eval into DIR unless DIR holds its summary already
	dir=$1
	shift
	[ -f "$dir/eval.json" ] || "$RL" eval --model "$OUT/model.safetensors" --data mnist:test --out "$dir" "$@"
}
eval_once "$OUT/pgd50-all" --eps 0.3 --attacks 'pgd?steps=50&alpha=0.01' --no-extra-checks
# On the first 1,000: PGD-50 x 10 (Wong et al.'s figure), APGD-CE, APGD-DLR and the per-example
# worst case over the three, in one evaluation.
eval_once "$OUT/first1000" --n 1000 --eps 0.3 --attacks 'pgd?steps=50&restarts=10&alpha=0.01,apgd-ce,apgd-dlr' --no-extra-checks
eval_once "$OUT/sanity-first200" --n 200 --eps 0.1,0.3 --attacks 'fgsm,pgd,apgd-ce,apgd-dlr,square'
uptime | tee -a "$OUT/load.txt"
