#!/usr/bin/env bash
# Runs shariqiqbal2810/maddpg-pytorch, unmodified, on openai/multiagent-particle-envs for the
# learning benchmark's scenarios and seeds, one run at a time, one thread each, and aggregates the
# finished runs into bench/results/learning-third-party.json. Resumable: a run whose JSON exists is
# never redone; an interrupted run restarts from its first episode. Runs go seed by seed (every
# scenario's seed 1 first). See bench/third-party/README.md.
#
#   MADDPG_PYTORCH_DIR=... MPE_DIR=... bench/third-party/run.sh            # all runs, then aggregate
#   bench/third-party/run.sh --aggregate                                      # aggregate only
#
# Environment:
#   MADDPG_PYTORCH_DIR, MPE_DIR   checkouts of the two repositories (required for runs)
#   THIRD_PARTY_RUNS_DIR          where per-run JSONs and maddpg-pytorch's working dirs go
#                                 (default: ${XDG_CACHE_HOME:-$HOME/.cache}/lemol/third-party-runs)
#   THIRD_PARTY_SCENARIOS         space-separated scenarios (default: the learning benchmark's seven)
#   THIRD_PARTY_SEEDS             space-separated seeds (default: 1 2 3 4 5)
#   THIRD_PARTY_PYTHON            interpreter with Debian's torch and numpy (default: /usr/bin/python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
runs_dir="${THIRD_PARTY_RUNS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lemol/third-party-runs}"
scenarios="${THIRD_PARTY_SCENARIOS:-simple_speaker_listener simple_spread simple_tag simple_adversary simple_push simple simple_reference}"
seeds="${THIRD_PARTY_SEEDS:-1 2 3 4 5}"
python="${THIRD_PARTY_PYTHON:-/usr/bin/python3}"
episodes=10000

# The runs into learning-third-party.json, then lemol's verdicts beside them (bench/learning-summary.ts).
aggregate() {
  "$python" "$here/aggregate.py" --runs "$runs_dir" --out "$repo/bench/results/learning-third-party.json"
  (cd "$repo" && node --import tsx bench/learning-summary.ts) || echo "run.sh: the comparison (bench/learning-summary.ts) failed" >&2
}

if [[ "${1:-}" == "--aggregate" ]]; then
  aggregate
  exit 0
fi

if [[ ! -f "${MADDPG_PYTORCH_DIR:-/nonexistent}/main.py" ]]; then
  echo "run.sh: MADDPG_PYTORCH_DIR must name a checkout of shariqiqbal2810/maddpg-pytorch (with main.py)" >&2
  exit 2
fi
if [[ ! -f "${MPE_DIR:-/nonexistent}/make_env.py" ]]; then
  echo "run.sh: MPE_DIR must name a checkout of openai/multiagent-particle-envs (with make_env.py)" >&2
  exit 2
fi

# The benchmark's setting: one thread. MPE's import-time prompt is answered by its own switch.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 SUPPRESS_MA_PROMPT=1
export PYTHONPATH="$here/shims${PYTHONPATH:+:$PYTHONPATH}"
export MADDPG_PYTORCH_COMMIT="${MADDPG_PYTORCH_COMMIT:-}" MPE_COMMIT="${MPE_COMMIT:-}"

# Seed-major: every scenario's seed 1 before any seed 2, so that partial results cover every scenario.
for seed in $seeds; do
  for scenario in $scenarios; do
    dir="$runs_dir/$scenario/maddpg"
    out="$dir/seed$seed.json"
    if [[ -f "$out" ]]; then
      continue
    fi
    mkdir -p "$dir"
    work="$dir/seed$seed.work"
    # An interrupted run left its working dir (maddpg-pytorch's ./models); only a dir carrying this
    # launcher's marker is removed.
    if [[ -d "$work" ]]; then
      if [[ -f "$work/.lemol-third-party-run" ]]; then
        rm -rf "$work"
      else
        echo "run.sh: $work exists and was not made by this launcher; move it away" >&2
        exit 2
      fi
    fi
    mkdir -p "$work"
    touch "$work/.lemol-third-party-run"
    echo "$(date -u +%FT%TZ) $scenario seed $seed" >&2
    rm -f "$dir/seed$seed.failed"
    if "$python" "$here/run_maddpg_pytorch.py" --scenario "$scenario" --seed "$seed" \
      --episodes "$episodes" --out "$out" --workdir "$work" >"$dir/seed$seed.log" 2>&1; then
      rm -rf "$work"
      aggregate
    else
      # Kept: the log says why (e.g. simple_reference's MultiDiscrete action space, which
      # maddpg-pytorch cannot build a policy for). Recorded so the aggregate can say so.
      echo "run.sh: $scenario seed $seed failed; see $dir/seed$seed.log" >&2
      tail -n 1 "$dir/seed$seed.log" >"$dir/seed$seed.failed"
      rm -rf "$work"
    fi
  done
done
aggregate
