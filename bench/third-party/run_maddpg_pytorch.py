#!/usr/bin/env python3
"""Run shariqiqbal2810/maddpg-pytorch's main.py, unmodified, on openai/multiagent-particle-envs.

One run = one scenario x one seed. It records every episode's reward per agent, as the environment
returned it, and writes them (and their 500-episode block means) as JSON. Called by run.sh; see
bench/third-party/README.md for what is and is not the third-party code's own behaviour.

Two things stand between the two repositories, neither of which changes a number:
- maddpg-pytorch's utils/make_env.py passes `discrete_action=` to MultiAgentEnv, an argument only
  its author's MPE fork has. The original MPE always has discrete action spaces (and so maddpg-pytorch
  always takes its discrete branch: Gumbel-softmax, hard one-hot actions to the environment), so
  this driver replaces that one function with MPE's own make_env.py and ignores the argument.
- maddpg-pytorch's DummyVecEnv stacks the agents' observations with np.array, which numpy >= 1.24
  refuses when the agents' observation lengths differ (it made an object array in 2018). The
  environment is wrapped so that it returns the same observation arrays inside an object array,
  which is what np.array made of them then.
"""
import argparse
import json
import os
import platform
import runpy
import sys
import time

BLOCK_EPISODES = 500


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", required=True, help="JSON file written when the run finishes")
    parser.add_argument("--workdir", required=True, help="maddpg-pytorch's cwd (its ./models go here)")
    parser.add_argument("--episodes", type=int, default=10000)
    parser.add_argument("--adversary_alg", default="MADDPG", choices=["MADDPG", "DDPG"])
    parser.add_argument("--agent_alg", default="MADDPG", choices=["MADDPG", "DDPG"])
    return parser.parse_args()


def need_dir(variable):
    path = os.environ.get(variable)
    if not path or not os.path.isdir(path):
        sys.exit("run_maddpg_pytorch.py: %s must name a directory (got %r)" % (variable, path))
    return os.path.abspath(path)


class RecordingEnv(object):
    """The MPE environment, recording episode rewards and handing observations over as np.array
    of 2018 would have held them. Everything else is the wrapped environment's."""

    def __init__(self, env, np):
        self._env = env
        self._np = np
        self.episode_rewards = []  # per episode: list of per-agent sums
        self._current = None
        self._steps = 0

    def __getattr__(self, name):
        return getattr(self._env, name)

    def _as_object_array(self, obs_n):
        out = self._np.empty(len(obs_n), dtype=object)
        for i, obs in enumerate(obs_n):
            out[i] = obs
        return out

    def finish_episode(self):
        if self._steps > 0:
            self.episode_rewards.append(self._current)
        self._current = None
        self._steps = 0

    def reset(self):
        self.finish_episode()
        return self._as_object_array(self._env.reset())

    def step(self, action_n):
        obs_n, reward_n, done_n, info_n = self._env.step(action_n)
        if self._current is None:
            self._current = [0.0] * len(reward_n)
        for i, reward in enumerate(reward_n):
            self._current[i] += float(reward)
        self._steps += 1
        return self._as_object_array(obs_n), reward_n, done_n, info_n


def block_means(values, block):
    return [round(sum(values[b : b + block]) / len(values[b : b + block]), 3) for b in range(0, len(values), block)]


def main():
    args = parse_args()
    maddpg_dir = need_dir("MADDPG_PYTORCH_DIR")
    mpe_dir = need_dir("MPE_DIR")
    if os.environ.get("OMP_NUM_THREADS") != "1":
        sys.exit("run_maddpg_pytorch.py: set OMP_NUM_THREADS=1 (the benchmark runs one thread)")
    sys.path.insert(0, mpe_dir)
    sys.path.insert(0, maddpg_dir)

    import numpy as np
    import torch
    import make_env as mpe_make_env  # MPE's own make_env.py
    import utils.make_env as maddpg_make_env  # maddpg-pytorch's, replaced below

    envs = []

    def make_original_env(scenario_name, discrete_action=False):
        env = RecordingEnv(mpe_make_env.make_env(scenario_name), np)
        envs.append(env)
        return env

    maddpg_make_env.make_env = make_original_env

    os.makedirs(args.workdir, exist_ok=True)
    os.chdir(args.workdir)
    # main.py's own defaults are the benchmark's (lr 0.01, tau 0.01, batch 1024, 64 units, an update
    # every 100 steps, 25-step episodes); they are passed anyway so the record says what ran.
    argv = [
        "main.py", args.scenario, "lemol-bench",
        "--seed", str(args.seed),
        "--n_rollout_threads", "1",
        "--n_training_threads", "1",
        "--n_episodes", str(args.episodes),
        "--episode_length", "25",
        "--steps_per_update", "100",
        "--batch_size", "1024",
        "--hidden_dim", "64",
        "--lr", "0.01",
        "--tau", "0.01",
        "--agent_alg", args.agent_alg,
        "--adversary_alg", args.adversary_alg,
        "--save_interval", str(args.episodes),
    ]
    sys.argv = argv
    started = time.time()
    runpy.run_path(os.path.join(maddpg_dir, "main.py"), run_name="__main__")
    wall = time.time() - started

    if len(envs) != 1:
        sys.exit("run_maddpg_pytorch.py: expected one environment, main.py made %d" % len(envs))
    env = envs[0]
    env.finish_episode()
    rewards = env.episode_rewards
    if len(rewards) != args.episodes:
        sys.exit("run_maddpg_pytorch.py: recorded %d episodes, expected %d" % (len(rewards), args.episodes))
    n_agents = len(rewards[0])
    per_agent = [[ep[i] for ep in rewards] for i in range(n_agents)]
    summed = [sum(ep) for ep in rewards]
    agents = env._env.agents
    record = {
        "implementation": "shariqiqbal2810/maddpg-pytorch",
        "scenario": args.scenario,
        "seed": args.seed,
        "agent_alg": args.agent_alg,
        "adversary_alg": args.adversary_alg,
        "argv": argv[1:],
        "agents": [a.name for a in agents],
        "adversary": [bool(getattr(a, "adversary", False)) for a in agents],
        "episodes": args.episodes,
        "block_episodes": BLOCK_EPISODES,
        "summed_reward_blocks": block_means(summed, BLOCK_EPISODES),
        "agent_reward_blocks": [block_means(r, BLOCK_EPISODES) for r in per_agent],
        "episode_rewards": [[round(v, 4) for v in ep] for ep in rewards],
        "wall_seconds": round(wall, 1),
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "maddpg_pytorch_commit": os.environ.get("MADDPG_PYTORCH_COMMIT"),
            "mpe_commit": os.environ.get("MPE_COMMIT"),
        },
    }
    tmp = args.out + ".partial"
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
