"""What a QKeras build's C-simulation is compared with: QKeras's prediction, except where TensorFlow's float32
cannot hold a layer's sums (more than 24 significant bits, ``convert.project.float32_inexact``) and every weight
is exactly what its firmware type holds: there the emulator, whose sums are integers and whose values are then
the model's own, is the reference and QKeras's agreement is reported beside it. The emulator
is checked against the C-simulation in every build."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..verify import compare as cmp

log = logging.getLogger(__name__)


def emulate(hls_model, staging: Path, x: np.ndarray, csim: np.ndarray) -> dict:
    """Record the model for the NumPy emulator and check the emulator against the C-simulation."""
    from ..errors import UnsupportedModelError
    from ..verify import record
    from ..verify.emulator import Emulator

    try:
        record.export(hls_model, staging)
    except UnsupportedModelError as exc:
        log.warning("emulator: %s", exc)
        return {"available": False, "reason": str(exc)}, None
    t0 = time.perf_counter()
    emu = Emulator(staging).predict(x).reshape(csim.shape)
    seconds = time.perf_counter() - t0
    mismatches = int(np.sum(np.any((emu != csim).reshape(len(x), -1), axis=1)))
    return {
        "available": True,
        "events": int(len(x)),
        "mismatches_vs_csim": mismatches,
        "events_per_second": round(len(x) / max(seconds, 1e-9)),
    }, emu.astype(np.float32)


def rounded_weights(hls_model) -> list[str]:
    """The layers whose weights their firmware types do not hold exactly (a float weight off the grid): there
    the emulator computes the firmware, not the user's model, and cannot stand in for QKeras."""
    from ..fixed import FixedType

    out = []
    for layer in hls_model.get_layers():
        for w in layer.weights.values():
            text = str(w.type.precision)
            if "fixed" in text or "int<" in text:
                if not FixedType.parse(text).representable(w.data).all():
                    out.append(layer.name)
                    break
    return out


def exact_reference(wide: dict, qkeras_out, emulated, csim, out_type, summary: dict, vec: Path):
    """The reference where QKeras's float32 cannot hold a layer's sums: the emulator (integer arithmetic),
    with QKeras's agreement reported beside it; (the reference outputs, the csim_check record)."""
    from ..convert.project import FLOAT32_BITS
    from ..errors import UnsupportedModelError

    layers = ", ".join(f"'{name}' ({bits} bits)" for name, bits in wide.items())
    if emulated is None:
        raise UnsupportedModelError(
            f"the sums of {layers} may need more than float32's {FLOAT32_BITS} significant bits, so QKeras cannot "
            "compute an exact reference, and the emulator has no model of this network "
            f"({summary['emulator']['reason']})"
        )
    qkeras = cmp.compare(qkeras_out, csim, out_type)
    np.save(vec / "qkeras_float32.npy", qkeras_out)
    np.save(vec / "expected.npy", emulated.reshape(qkeras_out.shape))
    exact = cmp.compare(emulated.reshape(qkeras_out.shape), csim, out_type)
    kept = {k: v for k, v in summary.items() if k not in exact}
    exact.update(kept)
    exact["reference"] = (
        f"fpga-nn's emulator (integer sums): TensorFlow's float32 rounds sums of more than {FLOAT32_BITS} "
        f"significant bits, which {layers} may need"
    )
    exact["qkeras_float32"] = {"mismatches": qkeras["mismatches"], "max_abs_diff_lsb": qkeras.get("max_abs_diff_lsb")}
    if qkeras["mismatches"]:
        log.warning(
            "QKeras (float32) differs from the firmware on %d events where the sums of %s exceed float32's %d "
            "bits; the emulator (exact) is the reference",
            qkeras["mismatches"],
            layers,
            FLOAT32_BITS,
        )
    return emulated.reshape(qkeras_out.shape), exact
