"""Independent numpy/Python implementation of MPE `simple_spread`
(cooperative navigation), written from the MPE specification (docs/mpe.md).

3 agents (size 0.15, collide, silent, accel 5), 3 landmarks (size 0.05, no
collide), dim_c = 2, collaborative (shared reward = plain sum of the three raw
agent rewards). Discrete action space by default: each agent's action is a
5-vector [noop, +x, -x, +y, -y] (probability vectors allowed), force =
5 * (a1 - a2, a3 - a4). Continuous mode (2 values, force = 5 * a) is supported
for the golden-vector check.

The physics is done with Python floats in the same operation order as the
original code so the golden vectors match bit-for-bit (or nearly).
"""
import math

import numpy as np

N_AGENTS = 3
N_LANDMARKS = 3
DIM_C = 2
DT = 0.1
DAMPING = 0.25
CONTACT_FORCE = 100.0
CONTACT_MARGIN = 0.001
AGENT_SIZE = 0.15
LANDMARK_SIZE = 0.05
ACCEL = 5.0
OBS_DIM = 2 + 2 + 2 * N_LANDMARKS + 2 * (N_AGENTS - 1) + DIM_C * (N_AGENTS - 1)  # 18
ACT_DIM = 5


def _softplus_np(z):
    """numpy.logaddexp(0, z) as numpy computes it."""
    if z > 0:
        return z + math.log1p(math.exp(-z))
    if z < 0:
        return math.log1p(math.exp(z))
    return math.log(2.0)


class SimpleSpread:
    def __init__(self, seed=None, discrete_action_space=True, rng=None):
        self.discrete_action_space = discrete_action_space
        self.rng = rng if rng is not None else np.random.RandomState(seed)
        self.n = N_AGENTS
        # agent state: positions/velocities as lists of [x, y]
        self.a_pos = [[0.0, 0.0] for _ in range(N_AGENTS)]
        self.a_vel = [[0.0, 0.0] for _ in range(N_AGENTS)]
        self.a_c = [[0.0] * DIM_C for _ in range(N_AGENTS)]
        self.l_pos = [[0.0, 0.0] for _ in range(N_LANDMARKS)]
        # make_world() calls reset_world once before the user's reset()
        self._reset_world()

    # ------------------------------------------------------------------
    def _reset_world(self):
        for i in range(N_AGENTS):
            self.a_pos[i] = [float(v) for v in self.rng.uniform(-1, +1, 2)]
            self.a_vel[i] = [0.0, 0.0]
            self.a_c[i] = [0.0] * DIM_C
        for j in range(N_LANDMARKS):
            self.l_pos[j] = [float(v) for v in self.rng.uniform(-1, +1, 2)]

    def reset(self):
        self._reset_world()
        return self.observations()

    def set_state(self, agent_pos, agent_vel, agent_c, landmark_pos):
        self.a_pos = [[float(x) for x in p] for p in agent_pos]
        self.a_vel = [[float(x) for x in v] for v in agent_vel]
        self.a_c = [[float(x) for x in c] for c in agent_c]
        self.l_pos = [[float(x) for x in p] for p in landmark_pos]

    # ------------------------------------------------------------------
    def _decode(self, a):
        if self.discrete_action_space:
            ux = 0.0 + (a[1] - a[2])
            uy = 0.0 + (a[3] - a[4])
        else:
            ux, uy = a[0], a[1]
        return [float(ux) * ACCEL, float(uy) * ACCEL]

    def _world_step(self, forces):
        # contact forces: only agent-agent pairs collide (landmarks have collide off)
        pos = self.a_pos
        for a in range(N_AGENTS):
            for b in range(a + 1, N_AGENTS):
                dx = pos[a][0] - pos[b][0]
                dy = pos[a][1] - pos[b][1]
                dist = math.sqrt(dx * dx + dy * dy)
                dmin = AGENT_SIZE + AGENT_SIZE
                k = CONTACT_MARGIN
                pen = _softplus_np(-(dist - dmin) / k) * k
                fx = CONTACT_FORCE * dx / dist * pen
                fy = CONTACT_FORCE * dy / dist * pen
                forces[a][0] = fx + forces[a][0]
                forces[a][1] = fy + forces[a][1]
                forces[b][0] = -fx + forces[b][0]
                forces[b][1] = -fy + forces[b][1]
        damp = 1 - DAMPING
        for i in range(N_AGENTS):
            v = self.a_vel[i]
            vx = v[0] * damp + (forces[i][0] / 1.0) * DT
            vy = v[1] * damp + (forces[i][1] / 1.0) * DT
            self.a_vel[i] = [vx, vy]
            self.a_pos[i] = [pos[i][0] + vx * DT, pos[i][1] + vy * DT]
        for i in range(N_AGENTS):  # silent agents
            self.a_c[i] = [0.0] * DIM_C

    def step(self, actions):
        forces = [self._decode(actions[i]) for i in range(N_AGENTS)]
        self._world_step(forces)
        obs = self.observations()
        raw = [self._reward(i) for i in range(N_AGENTS)]
        total = 0.0
        for r in raw:
            total = total + r
        rew = [total] * N_AGENTS
        dones = [False] * N_AGENTS
        return obs, rew, dones

    # ------------------------------------------------------------------
    def _reward(self, i):
        rew = 0
        for l in self.l_pos:
            dmin = None
            for a in self.a_pos:
                dx = a[0] - l[0]
                dy = a[1] - l[1]
                d = math.sqrt(dx * dx + dy * dy)
                if dmin is None or d < dmin:
                    dmin = d
            rew -= dmin
        me = self.a_pos[i]
        for a in self.a_pos:  # includes self (always a collision)
            dx = a[0] - me[0]
            dy = a[1] - me[1]
            if math.sqrt(dx * dx + dy * dy) < AGENT_SIZE + AGENT_SIZE:
                rew -= 1
        return rew

    def observations(self):
        out = np.empty((N_AGENTS, OBS_DIM), dtype=np.float64)
        for i in range(N_AGENTS):
            me = self.a_pos[i]
            o = [self.a_vel[i][0], self.a_vel[i][1], me[0], me[1]]
            for l in self.l_pos:
                o += [l[0] - me[0], l[1] - me[1]]
            for j in range(N_AGENTS):
                if j != i:
                    o += [self.a_pos[j][0] - me[0], self.a_pos[j][1] - me[1]]
            for j in range(N_AGENTS):
                if j != i:
                    o += self.a_c[j]
            out[i] = o
        return out
