"""What a QKeras build's C-simulation is compared with: QKeras's prediction in float32, except where a layer's
sums may need more than float32's 24 significant bits (``convert.project.float32_inexact``): there the same
QKeras model is recomputed in float64 (53 bits: the issue's "a precision that is exact"), and the float32
prediction's agreement is reported beside it. The emulator is checked against the C-simulation in every build,
so a sum wider than float64 too would still be caught by two independent computations disagreeing."""

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
    }, emu.astype(csim.dtype)  # float32 only where it holds every output value (run_build's csim)


def float64_predict(model, x: np.ndarray) -> np.ndarray:
    """``model`` (QKeras/Keras 2) rebuilt with float64 layers and run in float64 (floatx float64 while it runs:
    QKeras's quantizers cast to floatx). Rebuilt from its JSON with every dtype float64; where a layer's
    config does not come back from JSON (a QActivation holding a quantizer object), layer by layer from its
    config."""
    import tensorflow as tf

    from ..frontends.qkeras import custom_objects

    floatx = tf.keras.backend.floatx()
    tf.keras.backend.set_floatx("float64")
    try:
        try:
            twin = tf.keras.models.model_from_json(
                model.to_json().replace('"float32"', '"float64"'), custom_objects=custom_objects()
            )
        except TypeError:
            twin = tf.keras.models.clone_model(
                model, clone_function=lambda layer: type(layer).from_config({**layer.get_config(), "dtype": "float64"})
            )
        twin.set_weights([np.asarray(w, dtype=np.float64) for w in model.get_weights()])
        return twin.predict(np.asarray(x, dtype=np.float64), batch_size=8192, verbose=0)
    finally:
        tf.keras.backend.set_floatx(floatx)


def rounded_weights(hls_model) -> list[str]:
    """The layers whose weights their firmware types do not hold exactly (a float weight off the grid): there
    the emulator computes the firmware, not the user's model, and cannot stand in for QKeras."""
    from ..convert.hls_types import power_of_two
    from ..fixed import FixedType

    out = []
    for layer in hls_model.get_layers():
        for w in layer.weights.values():
            text = str(w.type.precision)
            if power_of_two(w.type.precision):  # int<E> is the exponent's type: the values must be powers of two
                if not _powers_of_two(w.data):
                    out.append(layer.name)
                    break
            elif ("fixed" in text or "int<" in text) and not FixedType.parse(text).representable(w.data).all():
                out.append(layer.name)
                break
    return out


def _powers_of_two(data) -> bool:
    a = np.abs(np.asarray(data, np.float64))
    a = a[a != 0]
    return bool(np.all(np.exp2(np.round(np.log2(a))) == a))


def exact_reference(model, hls_model, x, emulated, wide: dict, qkeras_out, csim, out_type, summary, vec: Path):
    """The reference where float32 cannot hold a layer's sums: QKeras in float64; where QKeras cannot run in
    float64 (its power-of-two quantizer mixes dtypes), the emulator when every weight is the model's own; else
    QKeras in float32 stays, said in the record. Returns (the reference outputs, the csim_check record)."""
    from ..convert.project import FLOAT32_BITS

    layers = ", ".join(f"'{name}' ({bits} bits)" for name, bits in wide.items())
    why = f"float32 rounds sums of more than {FLOAT32_BITS} significant bits, which {layers} may need"
    try:
        exact_out, source = float64_predict(model, x).reshape(qkeras_out.shape), f"QKeras recomputed in float64: {why}"
    except Exception as exc:  # noqa: BLE001 - a QKeras quantizer that cannot run in float64: the next reference
        log.info("QKeras in float64: %s", str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        if emulated is None or rounded_weights(hls_model):
            summary["reference_note"] = f"QKeras in float32 ({why}; neither float64 nor the emulator can stand in)"
            return qkeras_out, summary
        exact_out, source = emulated.reshape(qkeras_out.shape), f"fpga-nn's emulator (integer sums): {why}"
    float32 = cmp.compare(qkeras_out, csim, out_type)
    np.save(vec / "qkeras_float32.npy", qkeras_out)
    np.save(vec / "expected.npy", exact_out)
    exact = cmp.compare(exact_out, csim, out_type)
    exact.update({k: v for k, v in summary.items() if k not in exact})
    exact["reference"] = source
    exact["qkeras_float32"] = {"mismatches": float32["mismatches"], "max_abs_diff_lsb": float32.get("max_abs_diff_lsb")}
    if float32["mismatches"]:
        log.warning(
            "QKeras in float32 differs from the firmware on %d events where the sums of %s may exceed float32's "
            "%d bits; the reference is %s",
            float32["mismatches"],
            layers,
            FLOAT32_BITS,
            source.split(":")[0],
        )
    return exact_out.astype(np.float32), exact
