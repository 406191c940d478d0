"""Stand-in gym.spaces: the attributes maddpg-pytorch and MPE read (shape, n, low, high)."""
import numpy as np

from gym.spaces import prng  # noqa: F401


class Space(object):
    pass


class Box(Space):
    def __init__(self, low, high, shape=None, dtype=np.float32):
        if shape is None:
            shape = np.shape(low)
        self.shape = tuple(shape)
        self.low = np.full(self.shape, low, dtype=dtype) if np.isscalar(low) else np.asarray(low, dtype)
        self.high = np.full(self.shape, high, dtype=dtype) if np.isscalar(high) else np.asarray(high, dtype)
        self.dtype = dtype


class Discrete(Space):
    def __init__(self, n):
        self.n = n
        self.shape = ()


class Tuple(Space):
    def __init__(self, spaces):
        self.spaces = tuple(spaces)
