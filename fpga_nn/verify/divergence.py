"""Locate the first layer where the firmware departs from the offline model."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .csim import project_lock

log = logging.getLogger(__name__)
MAX_EVENTS = 64


def first_divergence(model, hls_model, inputs: np.ndarray, summary: dict, project_dir: Path) -> dict:
    """Trace the mismatching events through every layer; name the first layer that differs.

    hls4ml merges some layers (a linear quantizer into its Dense, for instance); a firmware
    layer is compared with the Keras layer of the same name when one exists.
    """
    from ..convert import graph

    idx = [m["event"] for m in summary["first_mismatches"]][:MAX_EVENTS]
    x = np.ascontiguousarray(inputs[idx], dtype=np.float64)
    try:
        for layer in hls_model.get_layers():
            layer.set_attr("trace", True)
        with project_lock(Path(project_dir)):
            _, traced = hls_model.trace(x)
    except Exception as exc:  # a diagnostic must not hide the mismatch it explains
        log.warning("could not trace the firmware to locate the divergence: %s", exc)
        return {"layer": None, "reason": f"trace failed: {exc}"}
    finally:
        for so in Path(project_dir, "firmware").glob("*.so"):
            so.unlink()
    keras_names = {layer.name for layer in model.layers}
    layers = []
    for name, fw in traced.items():
        if name not in keras_names:
            continue
        sub = graph.submodel(model, model.get_layer(name))
        ref = sub.predict(x.astype(np.float32), verbose=0).reshape(len(x), -1)
        fw = np.asarray(fw, dtype=np.float64).reshape(len(x), -1)
        diff = float(np.max(np.abs(ref - fw))) if ref.shape == fw.shape else float("inf")
        layers.append({"layer": name, "max_abs_diff": diff})
    first = next((d["layer"] for d in layers if d["max_abs_diff"] > 0), None)
    return {"layer": first, "events_traced": len(idx), "layers": layers}
