def reraise(prefix=None, suffix=None):
    raise
