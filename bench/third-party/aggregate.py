#!/usr/bin/env python3
"""Collect the finished third-party runs (run.sh's per-run JSONs) into
bench/results/learning-third-party.json: per run, the mean episode reward per 500-episode block,
per agent and summed over agents, in the shape of bench/results/learning.json's runs."""
import argparse
import json
import os
import platform
import re
from datetime import datetime, timezone

SCENARIOS = [
    "simple",
    "simple_spread",
    "simple_push",
    "simple_adversary",
    "simple_tag",
    "simple_speaker_listener",
    "simple_reference",
]

NOT_EXPRESSIBLE = [
    {
        "configuration": "simple_reference",
        "reason": "each agent both moves and speaks, so the original MPE gives it a MultiDiscrete action "
        "space; maddpg-pytorch builds a policy for a Box or a Discrete space only "
        "(MADDPG.init_from_env reads .n: AttributeError 'MultiDiscrete' object has no attribute 'n')",
    },
    {
        "configuration": "M3DDPG (mmmaddpg)",
        "reason": "maddpg-pytorch implements MADDPG and DDPG only",
    },
    {
        "configuration": "the time limit stored as terminal (lemol's default)",
        "reason": "maddpg-pytorch stores the environment's done only (MPE's is always false), as "
        "openai/maddpg does; it is compared with lemol's --bootstrap_time_limit runs",
    },
    {
        "configuration": "soft (Gumbel-softmax) actions to the environment, as openai/maddpg and lemol send",
        "reason": "with the original MPE's Discrete action spaces maddpg-pytorch always takes its discrete "
        "branch: hard one-hot actions to the environment and into the replay buffer",
    },
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    runs, failures, versions, wall = [], [], None, 0.0
    for scenario in SCENARIOS:
        d = os.path.join(args.runs, scenario, "maddpg")
        if not os.path.isdir(d):
            continue
        names = sorted(os.listdir(d), key=lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)])
        for name in names:
            m = re.fullmatch(r"seed(\d+)\.(json|failed)", name)
            if not m:
                continue
            if m.group(2) == "failed":
                with open(os.path.join(d, name)) as f:
                    failures.append({"scenario": scenario, "seed": int(m.group(1)), "error": f.read().strip()})
                continue
            with open(os.path.join(d, name)) as f:
                r = json.load(f)
            versions = r["versions"]
            wall += r["wall_seconds"]
            sides = ["bad" if adv else "good" for adv in r["adversary"]]
            runs.append(
                {
                    "scenario": r["scenario"],
                    "policy": "maddpg" if r["adversary_alg"] == r["agent_alg"] == "MADDPG" else "%s/%s" % (r["adversary_alg"], r["agent_alg"]),
                    "seed": r["seed"],
                    "agents": r["agents"],
                    "sides": sides,
                    "summed_reward_blocks": r["summed_reward_blocks"],
                    "agent_reward_blocks": r["agent_reward_blocks"],
                    "wall_seconds": r["wall_seconds"],
                }
            )

    out = {
        "about": (
            "shariqiqbal2810/maddpg-pytorch, unmodified, on the original openai/multiagent-particle-envs "
            "(bench/third-party/run.sh), at the learning benchmark's settings, one thread. Rewards: mean "
            "episode reward per 500-episode block, per agent and summed over agents, as the environment "
            "returned them (MPE's shared reward gives every agent of a cooperative scenario the same reward). "
            "sides: per agent, bad = MPE adversary (listed first), good = the others, as in learning.json. "
            "Compared with lemol's --bootstrap_time_limit runs in 'comparison' (bench/learning-summary.ts). "
            "See docs/learning.md."
        ),
        "implementation": {"repository": "shariqiqbal2810/maddpg-pytorch", "commit": versions and versions.get("maddpg_pytorch_commit")},
        "environment": {"repository": "openai/multiagent-particle-envs", "commit": versions and versions.get("mpe_commit")},
        "software": versions and {k: versions[k] for k in ("python", "numpy", "torch", "torch_threads")},
        "machine": {"cores": os.cpu_count(), "platform": "%s %s" % (platform.system().lower(), platform.release())},
        "settings": {
            "lr": 0.01,
            "gamma": 0.95,
            "batch_size": 1024,
            "num_units": 64,
            "tau": 0.01,
            "steps_per_update": 100,
            "episode_length": 25,
            "num_episodes": 10000,
            "block_episodes": 500,
            "n_rollout_threads": 1,
            "n_training_threads": 1,
            "agent_alg": "MADDPG",
            "adversary_alg": "MADDPG",
            "what_maddpg_pytorch_does_besides": [
                "inputs of every network normalised by a BatchNorm1d (train mode in updates, running statistics when acting)",
                "learning starts when the buffer holds batch_size (1,024) transitions, not batch_size x 25",
                "hard one-hot (straight-through Gumbel-softmax) actions to the environment and the buffer",
                "target actions and the other agents' actions in the actor loss: arg-max one-hots of their current / target policies (openai/maddpg: target samples; buffer actions)",
                "gradient norm clipped at 0.5 over all of a network's parameters (openai/maddpg: per variable)",
                "sampled rewards normalised by the buffer's reward mean and standard deviation",
                "PyTorch's default initialisation",
            ],
        },
        "not_expressible": NOT_EXPRESSIBLE,
        "failed_runs": failures,
        "wall_seconds": round(wall, 1),
        "runs": runs,
        "written": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    # keep the comparison that bench/learning-summary.ts wrote, if any (it is rewritten after this)
    if os.path.exists(args.out):
        with open(args.out) as f:
            old = json.load(f)
        if "comparison" in old:
            out["comparison"] = old["comparison"]
    tmp = args.out + ".partial"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.out)
    print("wrote %s: %d runs, %d failed" % (args.out, len(runs), len(failures)))


if __name__ == "__main__":
    main()
