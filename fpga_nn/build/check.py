"""``fpga-nn check``: a verdict per layer before any build (and, with data, the emulator against QKeras)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..convert import graph, support
from ..fixed import FixedType
from ..scratch import scratch
from . import user_model

DEFAULT_INPUT = FixedType(True, 16, 6)


class CheckResult(NamedTuple):
    verdicts: list[support.LayerVerdict]
    types: dict[str, str]  # Keras layer name -> firmware result type (after hls4ml's passes)
    input_type: FixedType | None
    emulated: dict | None  # with data: emulator vs QKeras
    preprocessing: str | None = None  # the declared preprocessing the model file carries, in one line


def check_model(
    model_path: Path, data_path: Path | None = None, input_precision: str | None = None, io_type: str | None = None
) -> CheckResult:
    """``io_type`` None: as build, io_parallel or io_stream where only it can be exact."""
    from ..frontends.sniff import family

    if family(Path(model_path))[0] == "keras3":
        return _check_keras3(Path(model_path), data_path, input_precision, io_type or "io_parallel")
    model = graph.normalize(user_model.load_user_model(Path(model_path)))
    io_type = io_type or user_model.chosen_io_type(model)
    verdicts = support.verdicts(model, io_type)
    pre = user_model.declared_preprocessing(Path(model_path), None, input_precision)
    x = user_model.load_inputs(Path(data_path), model) if data_path else None
    described = None
    if pre is not None:
        x = pre(x) if x is not None else None  # --data holds raw values, as for build
        kinds = list(pre.kinds().values())
        counts = ", ".join(f"{kinds.count(k)} {k}" for k in ("wire", "affine", "table") if k in kinds)
        described = f"declared in the model file: {len(kinds)} features ({counts}); --data holds raw values"
        input_type = pre.input_type
    elif input_precision:
        input_type = FixedType.parse(input_precision)
    elif x is not None:
        input_type = user_model.infer_input_type(x, model)
    else:
        input_type = None
    if any(v.verdict == "refused" for v in verdicts):
        return CheckResult(verdicts, {}, input_type, None, described)
    from ..convert.project import FLOAT32_BITS, convert_model, float32_inexact
    from ..verify import record
    from ..verify.emulator import Emulator

    with scratch("check") as tmp:
        _, hls_model = convert_model(model, tmp, input_type or DEFAULT_INPUT, io_type=io_type, project_name="check")
        types = {layer.name: str(layer.get_output_variable().type.precision) for layer in hls_model.get_layers()}
        wide = float32_inexact(hls_model)
        wide = {hls_model.graph[n].get_attr("fpga_nn_keras", n): bits for n, bits in wide.items()}  # Keras names
        note = "reference: QKeras in float64 (or the emulator); its sums may need {} bits, more than float32's {}"
        verdicts = [
            v._replace(reference=note.format(wide[v.name], FLOAT32_BITS))
            if v.name in wide and v.verdict == "exact"
            else v
            for v in verdicts
        ]
        emulated = None
        if x is not None:
            from .firmware import cast_inputs

            try:
                record.export(hls_model, Path(tmp))
                # as build compares: both sides on the values the firmware's input cast gives
                seen, _ = cast_inputs(x, input_type)
                emulated = _emulate_vs_qkeras(model, Emulator(tmp), seen)
                if wide:
                    emulated["label"] = "emulator vs QKeras (float32: rounds the wide sums; build takes float64)"
            except Exception as exc:  # noqa: BLE001 - reported as the verdict's reason, never a traceback
                emulated = {"available": False, "reason": str(exc)}
    return CheckResult(verdicts, types, input_type, emulated, described)


def _check_keras3(model_path: Path, data_path: Path | None, input_precision: str | None, io_type: str) -> CheckResult:
    """An HGQ2 model: every layer's type is its quantizers'; with data, alkaid's interpreter against predict."""
    from ..errors import UserInputError
    from ..frontends import convert_typed, hgq2
    from ..hardware.parts import DEFAULT_PART
    from .firmware import BuildOptions, cast_inputs

    if input_precision:
        raise UserInputError(
            "--input-precision does not apply to a Keras 3 / HGQ2 model (its input quantizer fixes it)"
        )
    model = hgq2.load(model_path)
    rows = hgq2.check_layers(model)
    scoped, comb, refs = _second_reference(model)
    verdicts = [support.LayerVerdict(r["name"], r["class"], "exact", reference=refs[r["name"]]) for r in rows]
    x = user_model.load_inputs(Path(data_path), model) if data_path else None
    with scratch("check") as tmp:
        options = BuildOptions(part=DEFAULT_PART, name="check", io_type=io_type)
        hls_model = convert_typed(model, tmp, options)
    hls_types = {layer.name: str(layer.get_output_variable().type.precision) for layer in hls_model.get_layers()}
    types = {}  # a Keras layer's output: hls4ml's separate activation layer NAME_ACT when it has one
    for layer in model.layers:
        act = getattr(getattr(layer, "activation", None), "__name__", "linear")
        found = hls_types.get(f"{layer.name}_{act}", hls_types.get(layer.name))
        if found is not None:
            types[layer.name] = found
    input_type = FixedType.parse(str(hls_model.get_input_variables()[0].type.precision))
    emulated = None
    if x is not None and comb is None:
        emulated = {"available": False, "reason": refs[model.layers[-1].name], "label": "alkaid interpreter"}
    elif x is not None:
        seen, _ = cast_inputs(x, input_type)
        got = comb.predict(seen.reshape(len(seen), -1).astype(np.float64)).reshape(len(seen), -1)
        ref = scoped.predict(seen, batch_size=8192, verbose=0).reshape(len(seen), -1)
        emulated = {
            "available": True,
            "events": len(seen),
            "mismatches": int(np.any(ref != got, axis=1).sum()),
            "label": "alkaid interpreter vs model.predict" + (" (logits)" if scoped is not model else ""),
        }
    return CheckResult(verdicts, types, input_type, emulated, None)


def _second_reference(model):
    """What alkaid's interpreter (the second reference beside ``model.predict``) can check, per layer:
    (the model it checks: ``model``, or its logits when alkaid 0.8.2 cannot trace a QSoftmax head, or
    None; the traced logic or None; {layer name: what checks it})."""
    from ..convert.to_rtl import trace
    from ..errors import UnsupportedModelError
    from ..frontends import hgq2

    names = [layer.name for layer in model.layers]
    alkaid = "second reference: alkaid's interpreter"
    try:
        return model, trace(model), dict.fromkeys(names, alkaid)
    except UnsupportedModelError as exc:
        reason = str(exc)
    head = model.layers[-1]
    logits = hgq2.logits_model(model)
    if logits is not None:
        try:
            comb = trace(logits)
        except UnsupportedModelError:
            pass
        else:
            notes = dict.fromkeys(names[:-1], alkaid)
            notes[head.name] = (
                "no second reference: alkaid 0.8.2 does not trace QSoftmax; build checks csim == model.predict"
            )
            return logits, comb, notes
    return None, None, dict.fromkeys(names, f"no second reference ({reason}); build: csim == model.predict")


def _emulate_vs_qkeras(model, emu, x: np.ndarray) -> dict:
    from .firmware import table_head

    head = table_head(model)
    if head is not None:  # the emulator's output is the table head's: build compares the traced logits
        return {
            "available": True,
            "events": len(x),
            "compared": f"input of '{head.name}' (run build for the traced comparison)",
            "mismatches": None,
        }
    ref = model.predict(x.astype(np.float32), batch_size=8192, verbose=0).reshape(len(x), -1)
    got = emu.predict(x).reshape(len(x), -1)
    return {"available": True, "events": len(x), "mismatches": int(np.any(ref != got, axis=1).sum())}


def format_result(result: CheckResult) -> list[str]:
    lines = [f"input type: {result.input_type.to_ap() if result.input_type else 'give --data or --input-precision'}"]
    if result.preprocessing:
        lines.append(f"preprocessing: {result.preprocessing}")
    width = max(len(v.name) for v in result.verdicts)
    for v in result.verdicts:
        ftype = result.types.get(v.name, "-" if v.verdict == "refused" or not result.types else "(merged by hls4ml)")
        word = f"exact up to {v.function}" if v.verdict == "table" else v.verdict
        why = f": {v.reason}" if v.verdict == "refused" else (f" ({v.reference})" if v.reference else "")
        lines.append(f"{v.name:<{width}}  {v.cls:<18} {ftype:<28} {word}{why}")
    refused = [v for v in result.verdicts if v.verdict == "refused"]
    if refused:
        lines.append(
            f"verdict: refused ({len(refused)} layer{'s' if len(refused) > 1 else ''}; build would stop "
            f"at '{refused[0].name}')"
        )
    elif any(v.verdict == "table" for v in result.verdicts):
        lines.append(
            "verdict: exact up to the table head (build verifies the logits bit for bit; --no-softmax "
            "builds them alone)"
        )
    else:
        lines.append("verdict: exact (build proves it on every event of --data)")
    e = result.emulated
    if e is not None:
        if not e["available"]:
            lines.append(f"{e.get('label', 'emulator')}: not available ({e['reason']})")
        elif e.get("mismatches") is not None:
            label = e.get("label", "emulator vs QKeras")
            lines.append(f"{label}: {e['mismatches']} mismatches / {e['events']} events")
    return lines
