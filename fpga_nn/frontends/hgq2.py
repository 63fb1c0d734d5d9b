"""HGQ2 / Keras 3 models (``.keras``): load, convert with hls4ml's Keras 3 frontend, and name what is exact.

An HGQ2 model carries its own fixed-point types: every layer's input, weight and output quantizer
fixes a width per value (trained, per weight or per activation). hls4ml 1.3.0's Keras 3 frontend reads
them (``hgq2`` handlers) and its bit-exact passes derive every accumulator and result type, so no
type is chosen here: the configuration's default precision is a placeholder those passes replace.
The offline reference is ``model.predict`` on the inputs as the firmware casts them; the second
reference is alkaid's interpreter of the traced logic (``convert.to_rtl.trace``), which is also what
becomes the Verilog for the RTL figures. fpga-nn's NumPy emulator does not read HGQ2 graphs yet:
``check`` and the build record say so.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UnsupportedModelError, UserInputError, first_line

MODEL_FILE = "model.keras"  # what the project keeps


def save(model, path: Path) -> None:
    model.save(str(path))


def load(path: Path, weights: Path | None = None):
    """The Keras 3 model in ``path``, HGQ2's layers registered; a failure is one line."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"model file {path} not found: pass an existing .keras file to --model")
    import hgq  # noqa: F401 - registers HGQ2's layers and quantizers with Keras
    import keras

    try:
        return keras.models.load_model(str(path), compile=False)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise UnsupportedModelError(
            f"cannot load the Keras 3 model {path}: {first_line(exc)}: save it with model.save('x.keras') from the "
            "code that built it, with every custom layer importable"
        ) from None


def check_layers(model) -> list[dict]:
    """Per layer: its class and whether its output is fixed by an HGQ2 quantizer (a float Keras 3 layer in
    the datapath has no fixed-point value: refused, naming it)."""
    rows = []
    for layer in model.layers:
        cls = type(layer).__name__
        module = type(layer).__module__
        if module.startswith("hgq."):
            rows.append({"name": layer.name, "class": cls, "verdict": "exact", "note": "HGQ2 quantizers fix its types"})
        elif cls in ("InputLayer", "Flatten", "Reshape", "Dropout"):
            rows.append({"name": layer.name, "class": cls, "verdict": "exact", "note": "moves values only"})
        else:
            raise UnsupportedModelError(
                f"layer '{layer.name}' ({cls}) is a float Keras 3 layer: its output has no fixed-point type; "
                "use the HGQ2 layer (hgq.layers) or put an HGQ2 quantizer after it"
            )
    return rows


def logits_model(model):
    """The model up to its ``QSoftmax`` head (its logits), or None when it has none: alkaid 0.8.2 traces no
    QSoftmax, so a softmax model's second reference and RTL figures are its logits'."""
    head = model.layers[-1]
    if type(head).__name__ != "QSoftmax":
        return None
    import keras

    return keras.Model(model.inputs, head.input, name=f"{model.name}_logits")


def calibrate(model, x) -> int:
    """Fix the integer bits of the model's wrapping (``WRAP``) data-path quantizers from the ranges ``x``
    reaches (HGQ2's ``trace_minmax``, which its docs ask for after training and before conversion);
    returns the model's EBOPs after it."""
    from hgq.utils import trace_minmax

    return int(trace_minmax(model, x, batch_size=8192))


def parameters(model) -> int:
    """Weights and biases (HGQ2's per-value bit widths are variables too, but not parameters)."""
    import numpy as np

    return sum(int(np.prod(w.shape)) for w in model.weights if w.path.rsplit("/", 1)[-1] in ("kernel", "bias"))
