"""The emulation record: every layer, weight and fixed-point type of a converted model, as files.

``emulation.json`` (layers, attributes, types) and ``emulation_weights.npz`` (weights as the
integer codes the C++ headers hold) are written next to the hls4ml project, so the emulator
runs without TensorFlow or hls4ml, exactly on what the firmware was generated from.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType
from ..fixed.arith import from_float
from ..jsonio import write_json
from ..layers import hls4ml_classes, record_attrs

RECORD = "emulation.json"
WEIGHTS = "emulation_weights.npz"

_ATTRS = record_attrs()  # views of the layer registry (fpga_nn/layers/)
SUPPORTED = hls4ml_classes()
_SOFTMAX_CONSTS = ("n_slice", "exp_table_size", "inv_table_size")


def export(hls_model, out_dir: Path) -> dict:
    """Write the record of ``hls_model`` into ``out_dir``; raises for layers the emulator cannot run."""
    layers, arrays = [], {}
    from ..convert.hls_config import producers
    from ..convert.hls_types import value_type

    producer = {var: layer.name for var, layer in producers(hls_model).items()}
    for layer in hls_model.get_layers():
        cls = layer.class_name
        if cls not in SUPPORTED:
            raise UnsupportedModelError(f"the emulator has no model of layer '{layer.name}' ({cls})")
        entry = {
            "name": layer.name,
            "class": cls,
            "attrs": {a: layer.get_attr(a) for a in _ATTRS if isinstance(layer.get_attr(a), (int, str, float))},
            "types": {
                k: value_type(v.precision).to_ap()
                for k, v in layer.types.items()
                if "fixed" in str(v.precision) or "int<" in str(v.precision)
            },
            "output_shape": [int(d) for d in layer.get_output_variable().shape],
            "inputs": [producer[i] for i in layer.inputs if i in producer],
            "weights": {},
        }
        if cls == "Softmax":
            entry["attrs"].update(_softmax_config(layer))
        for wname, w in layer.weights.items():
            key = f"{layer.name}/{wname}"
            arrays[key], wtype, kind = _weight_codes(w)
            entry["weights"][wname] = {"key": key, "type": wtype.to_ap(), "shape": list(np.shape(w.data))}
            if kind != "fixed":
                entry["weights"][wname]["kind"] = kind
        layers.append(entry)
    from ..convert.project import output_type

    record = {
        "project": hls_model.config.get_project_name(),
        "io_type": hls_model.config.get_config_value("IOType"),
        "layers": layers,
        "output_type": output_type(hls_model).to_ap(),
    }
    write_json(Path(out_dir, RECORD), record, indent=1)
    np.savez_compressed(Path(out_dir, WEIGHTS), **arrays)
    return record


def _weight_codes(w) -> tuple[np.ndarray, FixedType, str]:
    """Integer codes of one weight array, its type, and how the C++ multiplies by it.

    * 1-bit binary weights (``XnorPrecisionType``, stored 0/1 for -1/+1): ``weight_binary`` returns
      -x or x, the product of x and a code of -1/+1 in ``int<2>``.
    * power-of-two weights (``ExponentPrecisionType``): ``weight_exponential`` shifts x by the
      exponent inside ``ap_fixed<2(E+Wx), E+Wx>``; recorded as exact fixed-point values with kind
      ``exponent<E>`` so the emulator applies the same shift and truncation.
    """
    from ..convert.hls_types import power_of_two, value_type, values, xnor

    data = np.asarray(w.data, dtype=np.float64)
    precision = w.type.precision
    if xnor(precision):
        return values(data, precision).astype(np.int64), value_type(precision), "fixed"
    if power_of_two(precision):
        t = FixedType.narrowest_for(data, max_fractional=60)
        if t is None or t.width > 62:
            raise UnsupportedModelError(f"power-of-two weights '{w.name}' span more than 62 bits")
        return from_float(data, t), t, f"exponent<{precision.width}>"
    wtype = FixedType.from_precision(precision)
    return from_float(data, wtype), wtype, "fixed"


def _softmax_config(layer) -> dict:
    """Constants and the input-normalisation type exactly as written into the generated C++ config."""
    import re

    text = layer.get_attr("config_cpp") or ""
    out: dict = {}
    for name in _SOFTMAX_CONSTS:
        m = re.search(rf"{name} = (\d+);", text)
        if m is None:
            raise UnsupportedModelError(f"softmax '{layer.name}': no {name} in its generated config")
        out[name] = int(m.group(1))
    scale = re.search(r"exp_scale = ([-\d.eE+]+);", text)
    impl = re.search(r"softmax_implementation::(\w+);", text)
    norm = re.search(r"typedef (ap_u?fixed<[^;]+>) inp_norm_t;", text)
    out["exp_scale"] = float(scale.group(1)) if scale else 1.0
    out["implementation"] = impl.group(1) if impl else "stable"
    if out["implementation"] not in ("stable", "latency"):
        raise UnsupportedModelError(
            f"softmax '{layer.name}': implementation '{out['implementation']}' is not emulated "
            "(use 'stable' or 'latency')"
        )
    if out["n_slice"] != layer.get_attr("n_in"):
        raise UnsupportedModelError(f"softmax '{layer.name}': multi-dimensional softmax is not emulated")
    if out["implementation"] == "stable":
        if norm is None:
            raise UnsupportedModelError(f"softmax '{layer.name}': cannot read inp_norm_t from its generated config")
        out["inp_norm_t"] = FixedType.parse(norm.group(1)).to_ap()
    return out


def load(project: Path) -> tuple[dict, dict[str, np.ndarray]]:
    project = Path(project)
    path = project / RECORD
    if not path.is_file():
        from ..errors import UserInputError

        raise UserInputError(f"{project} has no {RECORD}: rebuild it with 'fpga-nn build' (fpga-nn >= 0.1)")
    try:
        record = json.loads(path.read_text())
        with np.load(project / WEIGHTS, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # missing, truncated, not JSON
        from ..errors import UserInputError

        raise UserInputError(
            f"{project}'s emulation record is unreadable ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'empty'}): rebuild it with 'fpga-nn build'"
        ) from None
    missing = [
        w["key"]
        for layer in record.get("layers", [])
        for w in layer.get("weights", {}).values()
        if w["key"] not in arrays
    ]
    if missing:
        from ..errors import UserInputError

        raise UserInputError(
            f"{project}/{WEIGHTS} lacks {missing[0]} (and {len(missing) - 1} more): rebuild it with 'fpga-nn build'"
        )
    return record, arrays
