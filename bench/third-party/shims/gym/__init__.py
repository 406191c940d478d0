"""Stand-in for the parts of gym that openai/multiagent-particle-envs imports (see ../README.md)."""
from gym import spaces  # noqa: F401
from gym.spaces import Space  # noqa: F401


class Env(object):
    """gym.Env of gym 0.9/0.10: seeding is the subclass's business; MPE does not override it."""

    metadata = {}

    def seed(self, seed=None):
        return []

    def close(self):
        return None
