"""Model functions a scan config names in tests, each of the wrong family for the section naming it."""


def qkeras_net(hidden, beta):
    """Takes an HGQ2 point's keywords but returns a QKeras (tf_keras) model."""
    from fpga_nn.models.trigger import trigger_mlp

    return trigger_mlp(hidden=tuple(hidden))


def hgq2_net(hidden, **_):
    """Takes a QKeras point's keywords but returns an HGQ2 (Keras 3) model."""
    from fpga_nn.models.trigger_hgq2 import trigger_hgq2

    return trigger_hgq2(hidden=tuple(hidden))


def fails_silently(**_):
    """Raises an exception without a message (a message-less error once broke the one-line report)."""
    raise ValueError()
