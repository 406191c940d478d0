"""Independent PyTorch MADDPG on MPE simple_spread (numpy env in mpe_spread.py).

Follows the original openai/maddpg training scheme as described in
the LeMOL specification (docs/lemol-spec.md) sections 3.1-3.5 and 4.1:
  * actor/critic: MLP 64-64 ReLU + linear head, Glorot-uniform kernels, zero biases
  * Gumbel-softmax (temperature 1) soft actions for acting and for the actor loss;
    stochastic target actions from the target actors
  * centralised critic on [o_0 o_1 o_2 a_0 a_1 a_2]
  * y = r_i + gamma * (1 - d_i) * Q'_i(o', a'), critic step, then actor step
    (-mean Q + 1e-3 mean(logits^2)) using the updated critic
  * Adam(lr 0.01, eps 1e-8), per-tensor grad-norm clipping at 0.5
  * polyak: theta' <- 0.99 theta' + 0.01 theta after each agent update
  * target nets initialised independently (not copied)
  * each agent draws its own batch index (uniform, with replacement) and reads
    all agents' transitions at that index; agents update in agent order
  * one update round when train_step % 100 == 0 and the buffer holds
    >= batch_size * max_episode_len transitions
Acting uses a float32 numpy copy of each actor (refreshed after every update
round), which is numerically the same network as the torch one.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpe_spread import ACT_DIM, N_AGENTS, OBS_DIM, SimpleSpread  # noqa: E402


def mlp(n_in, n_out, units):
    net = nn.Sequential(nn.Linear(n_in, units), nn.ReLU(),
                        nn.Linear(units, units), nn.ReLU(),
                        nn.Linear(units, n_out))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def gumbel_softmax(logits, gen):
    u = torch.rand(logits.shape, generator=gen).clamp_(min=1e-20)  # u in [0, 1)
    return torch.softmax(logits - torch.log(-torch.log(u)), dim=-1)


def clip_each(params, max_norm):
    for p in params:
        if p.grad is not None:
            n = torch.linalg.vector_norm(p.grad)
            if n > max_norm:
                p.grad.mul_(max_norm / n)


class Agent:
    def __init__(self, idx, args):
        self.idx = idx
        crit_in = N_AGENTS * (OBS_DIM + ACT_DIM)
        self.p = mlp(OBS_DIM, ACT_DIM, args.units)
        self.q = mlp(crit_in, 1, args.units)
        # independent random initialisation of the targets (not copied)
        self.p_t = mlp(OBS_DIM, ACT_DIM, args.units)
        self.q_t = mlp(crit_in, 1, args.units)
        for net in (self.p_t, self.q_t):
            for prm in net.parameters():
                prm.requires_grad_(False)
        self.p_opt = torch.optim.Adam(self.p.parameters(), lr=args.lr, eps=1e-8)
        self.q_opt = torch.optim.Adam(self.q.parameters(), lr=args.lr, eps=1e-8)
        self.sync_numpy()

    def sync_numpy(self):
        lin = [m for m in self.p if isinstance(m, nn.Linear)]
        self.np_w = [(m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy()) for m in lin]

    def act_np(self, obs, rng):
        (w1, b1), (w2, b2), (w3, b3) = self.np_w
        h = np.maximum(obs @ w1 + b1, 0)
        h = np.maximum(h @ w2 + b2, 0)
        logits = h @ w3 + b3
        u = np.maximum(rng.uniform(size=ACT_DIM), 1e-20)  # float64 in [1e-20, 1)
        z = logits.astype(np.float64) - np.log(-np.log(u))
        z = np.exp(z - z.max())
        return (z / z.sum()).astype(np.float32)


def polyak(target, source, tau):
    with torch.no_grad():
        for pt, ps in zip(target.parameters(), source.parameters()):
            pt.mul_(1.0 - tau).add_(ps, alpha=tau)


def update_agent(i, agents, buf, n, args, gen, nprng):
    B = args.batch_size
    ag = agents[i]
    idx = nprng.randint(0, n, size=B)
    o = torch.from_numpy(buf['obs'][idx])        # (B, N, obs)
    a = torch.from_numpy(buf['act'][idx])        # (B, N, act)
    o2 = torch.from_numpy(buf['obs2'][idx])
    r = torch.from_numpy(buf['rew'][idx, i])
    d = torch.from_numpy(buf['done'][idx, i])
    with torch.no_grad():
        a2 = torch.stack([gumbel_softmax(agents[j].p_t(o2[:, j]), gen) for j in range(N_AGENTS)], 1)
        q_next = ag.q_t(torch.cat([o2.reshape(B, -1), a2.reshape(B, -1)], 1)).squeeze(1)
        y = r + args.gamma * (1.0 - d) * q_next
    o_flat = o.reshape(B, -1)
    q = ag.q(torch.cat([o_flat, a.reshape(B, -1)], 1)).squeeze(1)
    q_loss = ((q - y) ** 2).mean()
    ag.q_opt.zero_grad(set_to_none=True)
    q_loss.backward()
    clip_each(ag.q.parameters(), args.grad_clip)
    ag.q_opt.step()

    logits = ag.p(o[:, i])
    a_hat = gumbel_softmax(logits, gen)
    acts = [a[:, j] for j in range(N_AGENTS)]
    acts[i] = a_hat
    q_pi = ag.q(torch.cat([o_flat] + acts, 1)).squeeze(1)
    p_loss = -q_pi.mean() + 1e-3 * (logits ** 2).mean()
    ag.p_opt.zero_grad(set_to_none=True)
    p_loss.backward()
    clip_each(ag.p.parameters(), args.grad_clip)
    ag.p_opt.step()
    ag.q_opt.zero_grad(set_to_none=True)  # drop critic grads from the actor pass

    polyak(ag.p_t, ag.p, args.tau)
    polyak(ag.q_t, ag.q, args.tau)
    return float(q_loss), float(p_loss), float(q.mean()), float(y.mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--episodes', type=int, default=10000)
    ap.add_argument('--time-limit-terminal', type=int, default=0, choices=[0, 1])
    ap.add_argument('--max-episode-len', type=int, default=25)
    ap.add_argument('--lr', type=float, default=0.01)
    ap.add_argument('--gamma', type=float, default=0.95)
    ap.add_argument('--batch-size', type=int, default=1024)
    ap.add_argument('--units', type=int, default=64)
    ap.add_argument('--tau', type=float, default=0.01)
    ap.add_argument('--grad-clip', type=float, default=0.5)
    ap.add_argument('--update-every', type=int, default=100)
    ap.add_argument('--capacity', type=int, default=1000000)
    ap.add_argument('--block', type=int, default=500)
    ap.add_argument('--out', type=str, default=None)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    env = SimpleSpread(seed=args.seed)
    act_rng = np.random.RandomState(args.seed + 10007)
    idx_rng = np.random.RandomState(args.seed + 20011)
    agents = [Agent(i, args) for i in range(N_AGENTS)]

    T = args.max_episode_len
    total_steps = args.episodes * T
    cap = min(args.capacity, total_steps)  # ring buffer; never wraps with defaults
    buf = {'obs': np.zeros((cap, N_AGENTS, OBS_DIM), np.float32),
           'act': np.zeros((cap, N_AGENTS, ACT_DIM), np.float32),
           'rew': np.zeros((cap, N_AGENTS), np.float32),
           'obs2': np.zeros((cap, N_AGENTS, OBS_DIM), np.float32),
           'done': np.zeros((cap, N_AGENTS), np.float32)}
    n_stored, ptr = 0, 0
    learn_start = args.batch_size * T

    ep_rewards = []
    q_losses = []  # (episode, agent-0 q_loss, p_loss, mean Q, mean y)
    train_step = 0
    t0 = time.time()
    for ep in range(args.episodes):
        obs = env.reset().astype(np.float32)
        ep_r = 0.0
        for t in range(1, T + 1):
            acts = np.stack([agents[i].act_np(obs[i], act_rng) for i in range(N_AGENTS)])
            obs2, rew, dones = env.step(acts.astype(np.float64))
            obs2 = obs2.astype(np.float32)
            terminal = t >= T
            buf['obs'][ptr] = obs
            buf['act'][ptr] = acts
            buf['rew'][ptr] = rew
            buf['obs2'][ptr] = obs2
            buf['done'][ptr] = [float(dn or terminal) if args.time_limit_terminal else float(dn)
                                for dn in dones]
            ptr = (ptr + 1) % cap
            n_stored = min(n_stored + 1, cap)
            ep_r += sum(rew)
            obs = obs2
            if n_stored >= learn_start and train_step % args.update_every == 0:
                for i in range(N_AGENTS):
                    res = update_agent(i, agents, buf, n_stored, args, gen, idx_rng)
                    if i == 0:
                        q_losses.append((ep,) + res)
                for ag in agents:
                    ag.sync_numpy()
            train_step += 1
        ep_rewards.append(ep_r)
        if (ep + 1) % args.block == 0:
            blk = ep_rewards[-args.block:]
            ql = [x[1] for x in q_losses if x[0] > ep - args.block]
            print('episode %d steps %d mean summed reward %.3f q_loss %s updates %d time %.1fs' % (
                ep + 1, train_step, float(np.mean(blk)),
                ('%.4f' % np.mean(ql)) if ql else 'n/a', len(q_losses), time.time() - t0), flush=True)

    wall = time.time() - t0
    nb = args.episodes // args.block
    blocks = [float(np.mean(ep_rewards[b * args.block:(b + 1) * args.block])) for b in range(nb)]
    qb = []
    for b in range(nb):
        ql = [x[1] for x in q_losses if b * args.block <= x[0] < (b + 1) * args.block]
        qb.append(float(np.mean(ql)) if ql else None)
    result = {'seed': args.seed, 'time_limit_terminal': bool(args.time_limit_terminal),
              'episodes': args.episodes, 'block_episodes': args.block,
              'summed_reward_blocks': blocks,
              'last_1000_mean': float(np.mean(ep_rewards[-1000:])),
              'q_loss_blocks': qb, 'n_update_rounds': len(q_losses),
              'first_update_episode': q_losses[0][0] if q_losses else None,
              'wall_seconds': wall, 'torch_version': torch.__version__,
              'args': vars(args), 'episode_summed_rewards': ep_rewards}
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), 'runs',
                                   'seed%d_tlt%d.json' % (args.seed, args.time_limit_terminal))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(result, f)
    print('done: last_1000_mean %.3f wall %.1fs -> %s' % (result['last_1000_mean'], wall, out), flush=True)


if __name__ == '__main__':
    main()
