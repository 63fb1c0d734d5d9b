"""Model families in front of the core: which Keras a model belongs to, and hls4ml pointed at it.

hls4ml 1.3.0 picks its Keras parser from the installed ``keras`` package's version, not from the
model: with Keras 3 installed beside tf_keras (QKeras 0.9 needs Keras 2), a tf_keras model would
reach the Keras 3 parser (``'Node' object has no attribute 'arguments'``) and hls4ml's YAML writer
would pickle it. :func:`hls4ml_sees` makes ``import keras`` inside hls4ml give the model's own
Keras for the duration of a call; every call into hls4ml with a model goes through it.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator

# Model families that build through their own package (frontends/<module>.py: load, check_layers, save,
# MODEL_FILE; all convert with convert_typed), by the family name frontends.sniff gives a file. QKeras 0.9 / Keras 2
# models ("keras2") load through frontends/qkeras.py and build through the core path
# (build/user_model.py: the layer table, the emulator, fpga-nn's own QKeras tracer).
FRONTENDS = {"keras3": "hgq2", "hgq_proxy": "hgq_proxy"}


def frontend(kind: str):
    """The frontend module of family ``kind``."""
    return importlib.import_module(f"{__name__}.{FRONTENDS[kind]}")


# hls4ml's placeholder default precision for models that type themselves (HGQ2 quantizers, HGQ proxy
# FixedPointQuantizers): its passes give every layer the type those quantizers fix
PLACEHOLDER_PRECISION = "fixed<-1,0>"


def convert_typed(model, output_dir, options):
    """hls4ml's ModelGraph (not written) of a model whose quantizers fix every type; a failure is one line."""
    import hls4ml

    from ..errors import UnsupportedModelError, first_line

    config = {"Model": {"Precision": PLACEHOLDER_PRECISION, "ReuseFactor": options.reuse_factor, "Strategy": "Latency"}}
    with hls4ml_sees(model):
        try:
            return hls4ml.converters.convert_from_keras_model(
                model, hls_config=config, output_dir=str(output_dir), project_name=options.name,
                backend=options.backend, io_type=options.io_type, part=options.part,
                clock_period=options.clock_period, write_weights_txt=False,
            )  # fmt: skip
        except (AttributeError, KeyError, ValueError, NotImplementedError, TypeError) as exc:
            raise UnsupportedModelError(f"hls4ml 1.3.0 cannot convert {model.name}: {first_line(exc)}") from None


def keras_of(model) -> str:
    """'tf_keras' (Keras 2: QKeras 0.9, HGQ proxy models) or 'keras' (Keras 3: HGQ2, .keras files)."""
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root in ("tf_keras", "keras"):
            return root
        if cls.__module__.startswith(("tensorflow.python.keras", "tensorflow.keras")):
            return "tf_keras"
    raise TypeError(f"{type(model).__name__} is not a Keras model")


@contextlib.contextmanager
def hls4ml_sees(model) -> Iterator[None]:
    """While the block runs, ``import keras`` gives ``model``'s own Keras (only while it needs changing)."""
    if keras_of(model) != "tf_keras":
        yield
        return
    import tf_keras

    saved = {name: mod for name, mod in sys.modules.items() if name == "keras" or name.startswith("keras.")}
    for name in saved:
        del sys.modules[name]
    sys.modules["keras"] = tf_keras
    try:
        yield
    finally:
        for name in [n for n in sys.modules if n == "keras" or n.startswith("keras.")]:
            del sys.modules[name]
        sys.modules.update(saved)
