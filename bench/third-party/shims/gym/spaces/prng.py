"""Stand-in gym.spaces.prng: only MultiDiscrete.sample() uses it, which no training code calls."""
import numpy as np

np_random = np.random.RandomState()


def seed(seed=None):
    np_random.seed(seed)
