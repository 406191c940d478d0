#!/bin/sh
# Runs the 6 reference runs strictly one after another.
cd "$(dirname "$0")"
mkdir -p runs
for tlt in 0 1; do
  for seed in 1 2 3; do
    /usr/bin/python3 maddpg_torch.py --seed $seed --episodes 10000 --time-limit-terminal $tlt \
      > runs/seed${seed}_tlt${tlt}.log 2>&1
  done
done
echo ALL_DONE > runs/all_done
