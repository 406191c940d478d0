"""Stand-in tensorboardX: maddpg-pytorch's logging goes nowhere (rewards are recorded by the driver)."""


class SummaryWriter(object):
    def __init__(self, *args, **kwargs):
        pass

    def add_scalar(self, *args, **kwargs):
        pass

    def add_scalars(self, *args, **kwargs):
        pass

    def export_scalars_to_json(self, *args, **kwargs):
        pass

    def close(self):
        pass
