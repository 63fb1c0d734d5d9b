"""A float model at a chosen precision (``build --model float.h5 --precision 'ap_fixed<16,6>'``): the project,
the C-simulation on every event against the emulation of the chosen types (the bit-exact reference), and the
float model's agreement beside it, with the precision profile of every layer (``frontends/float_keras.py``).

The contract: C-simulation == emulator on every event, or the build exits 4 (a mismatch is a fault of the
flow, not of the precision); the float model's decisions that the firmware flips are counted at working
points, and more than ``--max-flip`` percent of events flipped fails the build (the precision is too coarse,
or its range too small: see plots/precision_profile.png).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType
from ..frontends import float_keras, float_profile
from ..jsonio import write_json
from ..project_files import ProjectFiles
from ..verify import compare as cmp
from ..verify.csim import run_csim
from . import firmware
from .frontend_model import write_graph

log = logging.getLogger(__name__)

PASS_FRACTIONS = (0.01, 0.10, 0.50)  # a one-score model's working points: the float model passes these fractions


def convert_and_verify(model, x_raw: np.ndarray, staging: Path, options, input_type: FixedType) -> firmware.CsimResult:
    """Write the project of the float ``model`` at ``options.precision``, C-simulate every event, and check it
    against the emulator (the reference); the float model's agreement and the precision profile go beside."""
    from ..verify import record
    from ..verify.emulator import Emulator

    precision = float_keras.chosen(options.precision)
    width = float_profile.auto_width(options.precision)
    files = ProjectFiles(staging)
    files.vectors.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    x, cast = firmware.cast_inputs(x_raw, input_type)
    floats = model.predict(x, batch_size=8192, verbose=0)
    np.save(files.vectors / "float_outputs.npy", floats)
    from ..convert.graph import input_layer
    from ..convert.project import INLINE_WEIGHTS_LIMIT
    from ..frontends.qkeras import save

    # the profile comes first: with --precision auto it chooses the types
    outputs = layer_outputs(model, x[: float_profile.PROFILE_EVENTS])
    prof, types = float_profile.profile(outputs, None if width else precision, width)
    described = f"types per layer from the precision profile ({options.precision})" if width else precision.to_ap()
    weights_txt = model.count_params() > INLINE_WEIGHTS_LIMIT
    hls_model = float_keras.convert(
        model, input_layer(model).name, staging, options, precision, input_type, weights_txt, types
    )
    # the testbench's expected outputs are the float model's: it prints them, it does not judge
    n_tb = write_graph(hls_model, model, staging, x, floats, save, "model.h5")
    try:
        record.export(hls_model, staging)
    except UnsupportedModelError as exc:
        raise UnsupportedModelError(f"{exc}: a float model's reference is the emulator: it cannot be built") from None
    t_convert = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_out = int(np.prod(floats.shape[1:]))
    csim = np.asarray(run_csim(files.root, x, n_out, optimization=options.csim_optimization))
    csim = csim.reshape(floats.shape).astype(np.float32)
    t_csim = time.perf_counter() - t0
    expected = Emulator(staging).predict(x).reshape(floats.shape).astype(np.float32)
    np.save(files.vectors / "csim.npy", csim)
    np.save(files.vectors / "expected.npy", expected)
    from ..convert.project import output_type

    out_type = output_type(hls_model)
    summary = cmp.compare(expected, csim, out_type)
    summary.update(
        reference=f"fpga-nn's emulator of the hls4ml types ({described})",
        output_type=out_type.to_ap(),
        csim_seconds=round(t_csim, 3),
        input_type=input_type.to_ap(),
        input_cast=cast,
        family=float_keras.FAMILY,
        emulator={"available": True, "events": int(len(x)), "mismatches_vs_csim": summary["mismatches"]},
        float_agreement=agreement(floats, csim, options.max_flip_percent),
    )
    cmp.write_check(summary, files.csim_check)
    shown = options.precision.strip() if width else precision.to_ap()
    write_json(staging / "precision_profile.json", {"precision": shown, "layers": prof}, indent=1)
    from ..reports.plots import precision_profile

    (staging / "plots").mkdir(exist_ok=True)
    precision_profile(prof, described, staging / "plots" / "precision_profile.png")
    built = firmware.build_record(options, input_type, out_type, hls_model, t_convert, t_csim, n_tb, options.name)
    built.update(family=float_keras.FAMILY, precision=shown)
    write_json(files.build_record, built, indent=2)
    return firmware.CsimResult(x, expected, csim, summary, record=built)


def layer_outputs(model, x: np.ndarray) -> list[tuple]:
    """(layer, the float model's output of that layer on ``x``, its output before a fused activation or
    None) for every layer but the input."""
    import tensorflow as tf

    from ..convert.graph import layer_input, layer_output

    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    fused = [layer for layer in layers if _fused_activation(layer)]
    probe = tf.keras.Model(
        model.inputs, [layer_output(model, layer) for layer in layers] + [layer_input(model, layer) for layer in fused]
    )
    outs = probe.predict(x, batch_size=4096, verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    pre = {layer.name: _linear_part(layer, ins) for layer, ins in zip(fused, outs[len(layers) :], strict=True)}
    return [(layer, out, pre.get(layer.name)) for layer, out in zip(layers, outs, strict=False)]


def _fused_activation(layer) -> bool:
    """A Dense/Conv with a non-linear ``activation=`` (hls4ml makes it a layer of its own)."""
    return type(layer).__name__ != "Activation" and layer.get_config().get("activation") not in (None, "linear")


def _linear_part(layer, x: np.ndarray) -> np.ndarray:
    """``layer``'s output on ``x`` without its activation (the sums hls4ml's layer itself produces)."""
    import tensorflow as tf

    act = layer.activation
    layer.activation = tf.keras.activations.linear
    try:
        return np.concatenate([np.asarray(layer(x[i : i + 4096])) for i in range(0, len(x), 4096)])
    finally:
        layer.activation = act


def agreement(floats: np.ndarray, csim: np.ndarray, max_flip_percent: float, matched: bool = False) -> dict:
    """How far the firmware is from the float model: differences, and decisions flipped at working points
    (several outputs: the argmax; one output: a cut passing 1, 10, 50 % of events in the float model). With
    ``matched`` the firmware gets its own cut passing the same fraction (a trigger sets its threshold on the
    firmware's score for the rate): for scores with many ties (tree ensembles), one cut value would count
    every tie moved by the score's rounding as a flip."""
    f = np.asarray(floats, dtype=np.float64).reshape(len(floats), -1)
    c = np.asarray(csim, dtype=np.float64).reshape(len(csim), -1)
    diff = np.abs(f - c)
    out = {
        "events": int(len(f)),
        "max_abs_diff": float(diff.max(initial=0.0)),
        "mean_abs_diff": float(diff.mean()) if diff.size else 0.0,
        "max_flip_percent": max_flip_percent,
    }
    if f.shape[1] > 1:
        flips = int(np.sum(f.argmax(1) != c.argmax(1)))
        out["working_points"] = [{"decision": "argmax", "flipped": flips, "percent": 100.0 * flips / max(len(f), 1)}]
    else:
        rows = []
        for frac in PASS_FRACTIONS:
            cut = float(np.quantile(f[:, 0], 1.0 - frac))
            cut_fw = float(np.quantile(c[:, 0], 1.0 - frac)) if matched else cut
            flips = int(np.sum((f[:, 0] > cut) != (c[:, 0] > cut_fw)))
            text = f"score > {cut:.6g} (float passes {frac:.0%})"
            if matched:
                text = f"the top {frac:.0%} (float score > {cut:.6g}, firmware > {cut_fw:.6g})"
            rows.append({"decision": text, "flipped": flips, "percent": 100.0 * flips / max(len(f), 1)})
        out["working_points"] = rows
    out["worst_percent"] = max(r["percent"] for r in out["working_points"])
    return out


def _convert(model, x, input_type, staging, options, pre, layers) -> firmware.CsimResult:
    return convert_and_verify(model, x, staging, options, input_type)


def flip_failure(summary: dict) -> str | None:
    """The failure message when more decisions flip against the float model than ``--max-flip`` allows."""
    a = summary.get("float_agreement")
    if not a or a["worst_percent"] <= a["max_flip_percent"]:
        return None
    worst = max(a["working_points"], key=lambda r: r["percent"])
    return (
        f"the firmware flips {worst['flipped']} of {a['events']} decisions ({worst['percent']:.2f} %) of the float "
        f"model at {worst['decision']}, more than --max-flip {a['max_flip_percent']:g} %: choose a wider "
        "--precision (plots/precision_profile.png shows where values overflow or fall below the step), or raise "
        "--max-flip"
    )


BUILD = firmware.FamilyBuild(convert=_convert, failure=flip_failure)
