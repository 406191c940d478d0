"""Replay every simple_spread golden file through mpe_spread.py; exit 1 on any
|port - golden| > 1e-9 in obs or rewards (or a dones mismatch)."""
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpe_spread import SimpleSpread  # noqa: E402

TOL = 1e-9
GOLDEN = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'mpe-golden', 'simple_spread__*.json')))


def main():
    if not GOLDEN:
        print('no golden files found')
        return 1
    bad = 0
    for path in GOLDEN:
        d = json.load(open(path))
        st = d['initial_state']
        env = SimpleSpread(seed=0, discrete_action_space=d['discrete_action_space'])
        env.set_state([a['p_pos'] for a in st['agents']], [a['p_vel'] for a in st['agents']],
                      [a['c'] for a in st['agents']], [l['p_pos'] for l in st['landmarks']])
        worst = float(np.max(np.abs(env.observations() - np.array(d['initial_obs']))))
        exact = worst == 0.0
        dones_ok = True
        for s in d['steps']:
            obs, rew, dones = env.step([list(a) for a in s['actions']])
            e1 = float(np.max(np.abs(obs - np.array(s['obs']))))
            e2 = float(np.max(np.abs(np.array(rew) - np.array(s['rewards']))))
            worst = max(worst, e1, e2)
            exact = exact and e1 == 0.0 and e2 == 0.0
            dones_ok = dones_ok and list(dones) == list(s['dones'])
        ok = worst <= TOL and dones_ok
        bad += not ok
        print('%-40s steps=%d max_abs_err=%.3g bit_exact=%s %s' % (
            os.path.basename(path), len(d['steps']), worst, exact, 'OK' if ok else 'FAIL'))
    # reset distribution: np.random.seed(seed); make_env(); env.reset() == RandomState(seed), two resets
    for path in GOLDEN:
        d = json.load(open(path))
        env = SimpleSpread(seed=d['seed'])
        err = float(np.max(np.abs(env.reset() - np.array(d['initial_obs']))))
        if err > TOL:
            bad += 1
            print('reset mismatch for', os.path.basename(path), err)
    print('reset() from RandomState(seed) reproduces initial_obs of all files' if not bad else 'reset check done')
    print('%d/%d files pass' % (len(GOLDEN) - bad, len(GOLDEN)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
