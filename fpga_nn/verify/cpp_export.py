"""A plain C++17 header of a built network for software triggers, bit-exact with its C-simulation.

Seed 001's authors ported their DNN to C++ by hand. This writes the port from the project's
emulation record (the same types and integer weight codes the C-simulation runs): one header,
``cpp/<name>.h``, with the weights as exact hexadecimal-float constants, one loop nest per layer in
hls4ml 1.3's arithmetic (every product assigned to ``accum_t``, the sum starting from the bias,
cast to ``result_t``; ReLU and linear casts; sigmoid/tanh through the same table and index
arithmetic), and ``predict`` templated on the batch size. It needs only the ``ap_types`` headers
hls4ml ships, copied beside it (``cpp/ap_types``). Layers: Dense, ReLU/linear/sigmoid/tanh
activations; anything else is refused by name (a softmax head: export the ``--no-softmax`` build).
A project with declared preprocessing (``preprocess.json``) also gets ``encode`` (raw values -> bus
codes, the same double arithmetic as training), ``input_stage`` (codes -> inputs, the same tables)
and ``predict_raw``: the software trigger then computes its inputs exactly as training did.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType
from ..scratch import scratch
from . import record as rec

ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")


def _ctype(t: str) -> str:
    f = FixedType.parse(t)
    base = "ap_fixed" if f.signed else "ap_ufixed"
    q, o = f.rounding, f.overflow
    mode = "" if (q, o) == ("TRN", "WRAP") else f", AP_{q}, AP_{o}"
    return f"{base}<{f.width}, {f.integer}{mode}>"


def _constants(codes: np.ndarray, t: str) -> str:
    f = FixedType.parse(t)
    values = (codes.astype(np.float64) * 2.0 ** (-f.fractional)).ravel()  # exact: W <= 53 bits
    return ", ".join(float(v).hex() for v in values)


def _layer_code(layer: dict, arrays: dict, prev: str, n_in: int, in_type: str) -> tuple[list[str], list[str], int]:
    """(declarations, statements, outputs) of one layer reading array ``prev`` of type ``in_type``."""
    label, cls = layer["name"], layer["class"]
    name = f"l_{label}"  # a C++ identifier that cannot meet input_t/output_t or a keyword ('output', 'int')
    types = layer["types"]
    res = f"{name}_t"
    decl = [f"using {res} = {_ctype(types['result_t'])};"]
    if cls == "Dense":
        n_out = int(layer["attrs"]["n_out"])
        w, b = layer["weights"]["weight"], layer["weights"]["bias"]
        decl += [
            f"using {name}_accum_t = {_ctype(types['accum_t'])};",
            f"using {name}_weight_t = {_ctype(w['type'])};",
            f"using {name}_bias_t = {_ctype(b['type'])};",
            f"static const {name}_weight_t {name}_w[{n_in * n_out}] = {{{_constants(arrays[w['key']], w['type'])}}};",
            f"static const {name}_bias_t {name}_b[{n_out}] = {{{_constants(arrays[b['key']], b['type'])}}};",
        ]
        body = [
            f"{res} {name}[{n_out}];",
            f"for (int j = 0; j < {n_out}; ++j) {{",
            f"  {name}_accum_t acc = {name}_b[j];",
            f"  for (int i = 0; i < {n_in}; ++i) {{",
            f"    {name}_accum_t product = {prev}[i] * {name}_w[i * {n_out} + j];",
            "    acc += product;",
            "  }",
            f"  {name}[j] = acc;",
            "}",
        ]
        return decl, body, n_out
    if cls == "Activation":
        act = layer["attrs"].get("activation", "linear")
        if act not in ACTIVATIONS:
            raise UnsupportedModelError(
                f"C++ export: layer '{label}' applies '{act}' (exported: {', '.join(ACTIVATIONS)})"
            )
        body = [f"{res} {name}[{n_in}];", f"for (int i = 0; i < {n_in}; ++i) {{"]
        if act == "linear":
            body.append(f"  {name}[i] = {prev}[i];")
        elif act == "relu":
            body.append(f"  if ({prev}[i] > 0) {name}[i] = {prev}[i]; else {name}[i] = 0;")
        else:
            from .emu_tables import _table

            size = int(layer["attrs"]["table_size"])
            table_t = types["table_t"]
            span = 16 if act == "sigmoid" else 8
            frac = FixedType.parse(in_type).fractional
            decl += [
                f"using {name}_table_t = {_ctype(table_t)};",
                f"static const {name}_table_t {name}_table[{size}] = "
                f"{{{_constants(_table(act, size, FixedType.parse(table_t)), table_t)}}};",
            ]
            body += [
                f"  const long long code = static_cast<long long>(std::ldexp({prev}[i].to_double(), {frac}));",
                f"  const long long num = code * {size}, den = {span}LL << {frac};",
                f"  long long index = (num < 0 ? -((-num) / den) : num / den) + {size // 2};",
                f"  index = index < 0 ? 0 : (index > {size - 1} ? {size - 1} : index);",
                f"  {name}[i] = {name}_table[index];",
            ]
        body.append("}")
        return decl, body, n_in
    hint = " (export the --no-softmax build)" if cls == "Softmax" else ""
    raise UnsupportedModelError(f"C++ export: layer '{label}' ({cls}) is not exported{hint}")


def _stage_code(pre) -> list[str]:
    """encode / input_stage / predict_raw for a declared preprocessing, in integer arithmetic."""
    w = pre.input_type.width
    lines = ["", "// The declared preprocessing (preprocess.json): raw values -> bus codes -> inputs."]
    lines.append(f"constexpr int kBusBits[kInputs] = {{{', '.join(str(f.bits) for f in pre.features)}}};")
    lines.append(f"constexpr double kLsb[kInputs] = {{{', '.join(float(f.lsb).hex() for f in pre.features)}}};")
    lines.append(f"constexpr double kOffset[kInputs] = {{{', '.join(float(f.offset).hex() for f in pre.features)}}};")
    stage = []
    for i, f in enumerate(pre.features):
        ab = pre.affine(i)
        c = f"static_cast<long long>(codes[{i}] & {2**f.bits - 1}u)"
        if ab is not None:
            stage.append(f"  x[{i}].range({w - 1}, 0) = {ab[0]}LL + {ab[1]}LL * {c};  // {f.name}")
        else:
            raw = pre.raw_bits(i)
            lines.append(f"constexpr unsigned long long kTable{i}[{len(raw)}] = {{{', '.join(map(str, raw))}}};")
            stage.append(f"  x[{i}].range({w - 1}, 0) = kTable{i}[{c}];  // {f.name}")
    return [
        *lines,
        "// code = clip(floor((raw - offset) / lsb), 0, 2^bits - 1), in double as fpga-nn computes it.",
        "inline void encode(const double raw[kInputs], unsigned codes[kInputs]) {",
        "  for (int i = 0; i < kInputs; ++i) {",
        "    const double c = std::floor((raw[i] - kOffset[i]) / kLsb[i]);",
        "    const double top = static_cast<double>((1u << kBusBits[i]) - 1u);",
        "    codes[i] = static_cast<unsigned>(c < 0.0 ? 0.0 : (c > top ? top : c));",
        "  }",
        "}",
        "",
        "// The firmware's input stage: the bits above a feature's bus width are ignored, as on the bus.",
        "inline void input_stage(const unsigned codes[kInputs], input_t x[kInputs]) {",
        *stage,
        "}",
        "",
        "inline void predict_raw(const double raw[kInputs], output_t y[kOutputs]) {",
        "  unsigned codes[kInputs];",
        "  input_t x[kInputs];",
        "  encode(raw, codes);",
        "  input_stage(codes, x);",
        "  predict_one(x, y);",
        "}",
    ]


def export(project: Path, out_dir: Path | None = None) -> Path:
    """Write ``cpp/<name>.h`` (+ ``cpp/ap_types``) for ``project``; returns the header's path."""
    project = Path(project)
    record, arrays = rec.load(project)
    layers = record["layers"]
    if layers[0]["class"] != "Input" or len(layers[0]["output_shape"]) != 1:
        raise UnsupportedModelError("C++ export: a flat (N, features) input is needed")
    ns = record["project"]
    n_in = int(layers[0]["output_shape"][0])
    decl = [f"using input_t = {_ctype(layers[0]['types']['result_t'])};", f"constexpr int kInputs = {n_in};"]
    body, prev, n = [], "x", n_in
    source, in_type = layers[0]["name"], layers[0]["types"]["result_t"]
    for layer in layers[1:]:
        if layer["inputs"] != [source]:
            raise UnsupportedModelError(
                f"C++ export: layer '{layer['name']}' reads {layer['inputs']}, not the layer before it "
                "(a chain is needed)"
            )
        d, b, n = _layer_code(layer, arrays, prev, n, in_type)
        decl += d
        body += b
        source = layer["name"]
        prev = f"l_{source}"
        in_type = layer["types"]["result_t"]
    lines = [
        f"// {ns}.h: generated by fpga-nn from {project.name}/{rec.RECORD}. Do not edit.",
        "// Bit-exact with the hls4ml C-simulation of the project (fpga-nn tests it on the golden vectors).",
        "// Build: g++ -std=c++17 -I ap_types ...",
        "#pragma once",
        "#include <cmath>",
        "#include <cstddef>",
        '#include "ap_fixed.h"',
        "",
        f"namespace {ns} {{",
        "",
        *decl,
        f"constexpr int kOutputs = {n};",
        f"using output_t = {prev}_t;",
        "",
        "// One event: inputs are cast to input_t as the firmware casts them.",
        "inline void predict_one(const input_t x[kInputs], output_t y[kOutputs]) {",
        *("  " + line for line in body),
        f"  for (int k = 0; k < kOutputs; ++k) y[k] = {prev}[k];",
        "}",
        "",
        "// A batch of N events from floating-point inputs; outputs as double (exact for these types).",
        "template <std::size_t N, typename In>",
        "void predict(const In (&in)[N][kInputs], double (&out)[N][kOutputs]) {",
        "  for (std::size_t e = 0; e < N; ++e) {",
        "    input_t x[kInputs];",
        "    output_t y[kOutputs];",
        "    for (int i = 0; i < kInputs; ++i) x[i] = in[e][i];",
        "    predict_one(x, y);",
        "    for (int k = 0; k < kOutputs; ++k) out[e][k] = y[k].to_double();",
        "  }",
        "}",
    ]
    pre_path = project / "preprocess.json"
    if pre_path.is_file():
        from ..data import preprocess

        lines += _stage_code(preprocess.load(pre_path))
    lines += ["", f"}}  // namespace {ns}", ""]
    out_dir = Path(out_dir) if out_dir else project / "cpp"
    out_dir.mkdir(parents=True, exist_ok=True)
    header = out_dir / f"{ns}.h"
    header.write_text("\n".join(lines))
    src = project / "firmware" / "ap_types"
    if src.is_dir() and not (out_dir / "ap_types").exists():
        shutil.copytree(src, out_dir / "ap_types")
    return header


def export_checked(
    project: Path, inputs: np.ndarray, csim: np.ndarray, compiler: str = "g++", raw: np.ndarray | None = None
) -> dict:
    """Export, compile a driver with ``compiler`` and run it on ``inputs``: the header's outputs must
    equal the C-simulation's ``csim`` on every event. With ``raw`` (a project with preprocessing), the
    driver starts from the raw values through ``predict_raw`` instead. Returns the record (``cpp/check.json``)."""
    import json

    from .. import tools
    from ..errors import ToolError

    project = Path(project)
    header = export(project)
    ns = header.stem
    x = np.ascontiguousarray(inputs if raw is None else raw, dtype=np.float64).reshape(len(inputs), -1)
    call = (
        f"{ns}::predict_raw(&in[e * {ns}::kInputs], ye);"
        if raw is not None
        else f"for (int i = 0; i < {ns}::kInputs; ++i) xe[i] = in[e * {ns}::kInputs + i];\n"
        f"    {ns}::predict_one(xe, ye);"
    )
    ref = np.asarray(csim, dtype=np.float64).reshape(len(inputs), -1)
    driver = f"""#include <cstdio>
#include <vector>
#include "{header.name}"
int main(int argc, char** argv) {{
  const long n = std::atol(argv[1]);
  std::vector<double> in(n * {ns}::kInputs), out(n * {ns}::kOutputs);
  std::FILE* f = std::fopen(argv[2], "rb");
  if (!f || std::fread(in.data(), sizeof(double), in.size(), f) != in.size()) return 2;
  std::fclose(f);
  for (long e = 0; e < n; ++e) {{
    {ns}::input_t xe[{ns}::kInputs];
    {ns}::output_t ye[{ns}::kOutputs];
    {call}
    for (int k = 0; k < {ns}::kOutputs; ++k) out[e * {ns}::kOutputs + k] = ye[k].to_double();
  }}
  f = std::fopen(argv[3], "wb");
  std::fwrite(out.data(), sizeof(double), out.size(), f);
  std::fclose(f);
  return 0;
}}
"""
    with scratch("cpp") as tmp:
        tmp = Path(tmp)
        (tmp / "driver.cpp").write_text(driver.replace("#include <cstdio>", "#include <cstdio>\n#include <cstdlib>"))
        x.tofile(tmp / "in.bin")
        cmd = [compiler, "-std=c++17", "-O1", "-I", str(header.parent), "-I", str(header.parent / "ap_types")]
        if tools.which(compiler) is None:
            raise ToolError(f"C++ export check: '{compiler}' not found: install g++ (apt-get install g++)")
        try:  # through the tool door: a SIGTERM ends the compiler's whole process group
            tools.run([*cmd, "driver.cpp", "-o", "driver"], cwd=tmp)
            tools.run(["./driver", str(len(x)), "in.bin", "out.bin"], cwd=tmp)
        except ToolError as exc:
            tail = str(exc).strip().splitlines()[-1]
            raise ToolError(f"C++ export check failed to build or run: {tail}") from None
        got = np.fromfile(tmp / "out.bin").reshape(ref.shape)
    bad = np.any(got != ref, axis=1)
    out = {
        "header": str(header.relative_to(project)),
        "events": int(len(x)),
        "mismatches_vs_csim": int(bad.sum()),
        "from": "raw values (predict_raw)" if raw is not None else "network inputs (predict_one)",
        "compiler": compiler,
        "standard": "c++17",
    }
    (header.parent / "check.json").write_text(json.dumps(out, indent=2) + "\n")
    return out
