"""Stand-in for openai/baselines' VecEnv base class (as of the commit maddpg-pytorch names)."""


class VecEnv(object):
    def __init__(self, num_envs, observation_space, action_space):
        self.num_envs = num_envs
        self.observation_space = observation_space
        self.action_space = action_space

    def step(self, actions):
        self.step_async(actions)
        return self.step_wait()

    def close(self):
        pass


class CloudpickleWrapper(object):
    """Used by maddpg-pytorch's SubprocVecEnv only (more than one rollout thread), not by the benchmark."""

    def __init__(self, x):
        self.x = x
