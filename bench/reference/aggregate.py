"""Collect runs/seed*_tlt*.json into bench/results/learning-reference.json."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'results', 'learning-reference.json')

runs, wall, tv = [], 0.0, None
for tlt in (0, 1):
    for seed in (1, 2, 3):
        p = os.path.join(HERE, 'runs', 'seed%d_tlt%d.json' % (seed, tlt))
        if not os.path.exists(p):
            continue
        d = json.load(open(p))
        tv = d['torch_version']
        wall += d['wall_seconds']
        runs.append({'time_limit_terminal': d['time_limit_terminal'], 'seed': d['seed'],
                     'block_episodes': d['block_episodes'],
                     'summed_reward_blocks': d['summed_reward_blocks'],
                     'last_1000_mean': d['last_1000_mean'],
                     'q_loss_blocks': d['q_loss_blocks'],
                     'first_update_episode': d['first_update_episode'],
                     'n_update_rounds': d['n_update_rounds'],
                     'wall_seconds': d['wall_seconds']})

res = {
    'about': ('Independent reference learning curves for MADDPG on MPE simple_spread: a numpy/Python '
              're-implementation of simple_spread (bench/reference/mpe_spread.py, bit-exact against all 6 '
              'public simple_spread golden files) and a PyTorch MADDPG written from the specs '
              '(bench/reference/maddpg_torch.py), not from lemol source. Discrete action space, '
              'Gumbel-softmax (T=1) soft actions for acting/actor loss/stochastic target actions, '
              'centralised critic on [all obs, all actions], y = r + gamma(1-d)Q\', critic then actor '
              '(-mean Q + 1e-3 mean logits^2) with the updated critic, Adam lr 0.01 eps 1e-8 (torch Adam, '
              'not TF1 epsilon-hat form), per-tensor grad-norm clip 0.5, polyak 0.01, independently initialised '
              'targets, per-agent batch index over all agents\' transitions, agents updated in order. '
              'summed reward = sum over the 3 agents of their (shared) episode rewards = 3 x the shared '
              'episode return. time_limit_terminal false stores done=False (openai/maddpg); true stores '
              'done at episode_step >= 25 (LeMOL code). q_loss_blocks: mean critic loss of agent 0 over '
              'the update rounds in each 500-episode block (null before learning starts, episode 1024).'),
    'torch_version': tv,
    'settings': {'scenario': 'simple_spread', 'n_agents': 3, 'episodes': 10000, 'max_episode_len': 25,
                 'lr': 0.01, 'adam_eps': 1e-8, 'gamma': 0.95, 'batch_size': 1024, 'num_units': 64,
                 'polyak': 0.01, 'grad_clip_per_tensor': 0.5, 'update_every_steps': 100,
                 'learning_starts_buffer_len': 25600, 'replay_capacity': 1000000,
                 'gumbel_temperature': 1.0, 'actor_logit_reg': 1e-3, 'dtype': 'float32',
                 'torch_threads': 1, 'seeds': [1, 2, 3], 'reset_rng': 'numpy RandomState(seed)'},
    'runs': runs,
    'wall_seconds': wall,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump(res, f, indent=1)
print('wrote', OUT, len(runs), 'runs')
for r in runs:
    b = r['summed_reward_blocks']
    print('tlt=%d seed=%d blocks first %.1f mid %.1f last %.1f last1000 %.1f wall %.0fs' % (
        r['time_limit_terminal'], r['seed'], b[0], b[len(b) // 2], b[-1], r['last_1000_mean'],
        r['wall_seconds']))
