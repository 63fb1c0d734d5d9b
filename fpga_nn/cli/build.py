"""fpga-nn build: train (or load) a model, convert it with hls4ml, prove the C-simulation bit-exact."""

from __future__ import annotations

from pathlib import Path

import click


def safe_name(stem: str) -> str:
    """A project name (a C++ identifier) from a model file's stem, said in one line when it had to change."""
    import re

    from ..convert.project import valid_project_name

    name = re.sub(r"\W", "_", stem, flags=re.ASCII).strip("_") or "model"
    if not valid_project_name(name):
        name = f"net_{name}"
    if name != stem:
        click.echo(
            f"note: project name '{name}' (from '{stem}', which is not a C++ identifier); set it with --name", err=True
        )
    return name


@click.command()
@click.option("--part", required=True, help="Xilinx part, e.g. xcvu13p-flga2577-2-e or xc7z020clg400-1.")
@click.option(
    "--task",
    type=click.Choice(["trigger", "cnn", "llp", "model", "scan"]),
    default=None,
    help="trigger: train the 5-6-1 trigger network on the embedded data (default without --model); "
    "cnn: the compact CNN on generated jet images; llp: the 3-class long-lived-particle tagger "
    "(--no-softmax: its logits); model: your --model (default with --model); "
    "scan: a point of a design-space scan (default with --from-scan).",
)
@click.option(
    "--from-scan",
    "scan_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="A folder written by 'fpga-nn scan': build its point --point.",
)
@click.option("--point", "point_id", default=None, help="With --from-scan: the point's id (see pareto.json).")
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A Keras/QKeras model (.h5, .keras, a SavedModel folder, or an architecture .json with --weights), or a "
    "tree ensemble (XGBoost .json/.ubj, scikit-learn .pkl: conifer firmware, docs/trees.md) to build, with --data.",
)
@click.option(
    "--weights",
    "weights_path",
    type=click.Path(path_type=Path),
    default=None,
    help="With --model ARCH.json (model.to_json()): the weights file (model.save_weights).",
)
@click.option(
    "--preprocessing",
    "pre_path",
    type=click.Path(path_type=Path),
    default=None,
    help="With --model: a preprocessing declaration (JSON, see docs/inputs.md); default: the one saved in "
    "the model file, if any. --data then holds raw values; the firmware gets the input stage.",
)
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path),
    default=None,
    help="With --model: a .npy array of inputs. Without: an fpga-nn HDF5 event file.",
)
@click.option("--name", default=None, help="Project name (a C++ identifier); default 'trigger' or the model file stem.")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the project (default hls_projects/<name>).",
)
@click.option("--backend", type=click.Choice(["Vitis", "Vivado"]), default="Vitis", show_default=True)
@click.option(
    "--io-type",
    type=click.Choice(["io_parallel", "io_stream"]),
    default=None,
    help="hls4ml's io type; default io_parallel, or io_stream for a --model with a layer hls4ml implements for "
    "io_stream only (depthwise/separable convolutions; said in one line).",
)
@click.option("--clock-period", type=float, default=5.0, show_default=True, help="Target clock period in ns.")
@click.option("--reuse-factor", type=int, default=1, show_default=True)
@click.option("--input-precision", default=None, help="With --model: input type such as ap_fixed<16,6>.")
@click.option(
    "--precision",
    default=None,
    help="With a float --model: the fixed-point type of every weight, sum and result, e.g. 'ap_fixed<16,6>' "
    "(hls4ml's default), or 'auto' / 'auto<W>': W-bit types (16) per layer from the precision profile on --data; "
    "the firmware is checked against its emulation, the float model's agreement reported. With a tree ensemble: "
    "the type of its leaf values and sums (default: chosen from the ensemble).",
)
@click.option(
    "--min-argmax-agreement",
    type=float,
    default=99.0,
    show_default=True,
    help="A softmax head: least percentage of events on which its argmax names the logits' top class.",
)
@click.option(
    "--softmax-table-size",
    type=int,
    default=None,
    help="Entries of a softmax's exp and 1/x tables (hls4ml's default 1024; a power of two). More entries "
    "separate logits closer together (hls4ml caps the exp table at one entry per input step).",
)
@click.option(
    "--softmax-table-type",
    default=None,
    help="Type of a softmax's tables and sum (hls4ml's default ap_fixed<18,8,RND,SAT>), e.g. 'ap_fixed<24,8>'.",
)
@click.option(
    "--max-flip",
    "max_flip",
    type=float,
    default=1.0,
    show_default=True,
    help="With --precision: most decisions (percent of events) the firmware may flip against the float model.",
)
@click.option(
    "--rtl/--no-rtl",
    default=None,
    help="Open-source RTL path (alkaid Verilog, Verilator, Yosys); default: on when the tools are there.",
)
@click.option("--synth", is_flag=True, help="Run vendor C synthesis and logic synthesis (needs Vitis/Vivado).")
@click.option(
    "--latency-cutoff",
    type=float,
    default=7.0,
    show_default=True,
    help="alkaid pipelining: logic delay per pipeline stage (alkaid delay units).",
)
@click.option(
    "--input-rate-khz",
    type=float,
    default=1000.0,
    show_default=True,
    help="Rate of candidates reaching the network, for the trigger rates of the report.",
)
@click.option(
    "--no-softmax",
    is_flag=True,
    help="With --model: drop a softmax/sigmoid/tanh head and build the logits, bit-exact end to end.",
)
@click.option(
    "--cpp",
    is_flag=True,
    help="Also write cpp/NAME.h, a C++17 header of the network for software triggers, checked against the "
    "C-simulation on every event (Dense networks; needs g++).",
)
@click.option("--force", is_flag=True, help="Replace an existing project directory.")
def build(
    part,
    task,
    scan_dir,
    point_id,
    model_path,
    weights_path,
    pre_path,
    data_path,
    name,
    output_dir,
    backend,
    io_type,
    clock_period,
    reuse_factor,
    input_precision,
    precision,
    min_argmax_agreement,
    softmax_table_size,
    softmax_table_type,
    max_flip,
    rtl,
    synth,
    latency_cutoff,
    input_rate_khz,
    no_softmax,
    cpp,
    force,
):
    """Build a verified HLS project for PART and print its path and the csim check."""
    from ..build.firmware import BuildOptions
    from ..errors import UserInputError
    from ..hardware.parts import parse_part

    part = parse_part(part).name  # before any heavy import or work (spaces stripped)
    model_only = (
        ("--input-precision", input_precision),
        ("--precision", precision),
        ("--weights", weights_path),
        ("--preprocessing", pre_path),
    )
    for flag, value in model_only:
        if model_path is None and value is not None:
            raise UserInputError(f"{flag} applies to --model builds only")
    if input_precision is not None:
        from ..fixed import FixedType

        FixedType.parse(input_precision)
    if precision is not None:
        from ..frontends.float_keras import chosen

        chosen(precision)  # a type, or 'auto' / 'auto<W>'
    if task is None:
        task = "model" if model_path is not None else "scan" if scan_dir is not None else "trigger"
    if (task == "scan") != (scan_dir is not None) or (scan_dir is None) != (point_id is None):
        raise UserInputError("a scan point is built with --from-scan DIR --point ID (ids: DIR/pareto.json)")
    if task == "model" and model_path is None:
        raise UserInputError("--task model needs --model FILE.h5 and --data FILE.npy")
    if task != "model" and model_path is not None:
        raise UserInputError(f"--task {task} trains its own network: drop --model, or use --task model")
    if task in ("cnn", "llp") and data_path is not None:
        raise UserInputError(f"--task {task} generates its own events: drop --data")
    if task == "scan" and data_path is not None:
        raise UserInputError("a scan point is verified on the scan's own test events: drop --data")
    if (
        task == "model"
        and str(model_path) == "cnn"
        and not model_path.is_file()
        and not (model_path / "saved_model.pb").is_file()
    ):  # the old spelling of --task cnn
        raise UserInputError("no model file 'cnn': the compact-CNN task is 'fpga-nn build --task cnn'")
    if task == "model" and data_path is None:
        raise UserInputError("--model needs --data FILE.npy with the inputs to verify the firmware on")
    if name is None:
        name = {"trigger": "trigger", "cnn": "cnn", "llp": "llp"}.get(task) or (
            f"scan_{point_id}" if task == "scan" else safe_name(model_path.stem)
        )
    options = BuildOptions(
        part=part,
        name=name,
        backend=backend,
        io_type=io_type or "io_parallel",
        clock_period=clock_period,
        reuse_factor=reuse_factor,
        output_dir=output_dir,
        force=force,
        rtl=rtl,
        synth=synth,
        latency_cutoff=latency_cutoff,
        input_rate_khz=input_rate_khz,
        no_softmax=no_softmax,
        cpp=cpp,
        precision=precision,
        max_flip_percent=max_flip,
        min_argmax_agreement=min_argmax_agreement,
        softmax_table_size=softmax_table_size,
        softmax_table_type=softmax_table_type,
    )
    if task == "cnn":
        from ..studies.cnn.run import build_cnn

        result = build_cnn(options.replace(io_type="io_stream"))
    elif task == "llp":
        from ..studies.llp.run import build_llp

        result = build_llp(options)
    elif task == "trigger":
        from ..build.trigger import build_trigger

        result = build_trigger(options, data_path=data_path)
    elif task == "scan":
        from ..scan.from_scan import build_from_scan

        result = build_from_scan(options, scan_dir, point_id)
    else:
        from ..frontends import FRONTENDS
        from ..frontends.sniff import family

        kind, seen = family(model_path)
        if kind == "trees":
            from ..build.user_model import build_tree_model

            for flag, value in (("--weights", weights_path), ("--preprocessing", pre_path)):
                if value is not None:
                    raise UserInputError(f"{flag} is for Keras models; {model_path} is {seen}: drop {flag}")
            result = build_tree_model(options, model_path, data_path, input_precision, precision)
        elif precision is not None and kind != "keras2":
            raise UserInputError(f"--precision is for float Keras 2 models; {model_path} is {seen}: drop --precision")
        elif precision is not None:
            from ..build.user_model import build_float_model

            result = build_float_model(options, model_path, data_path, input_precision, weights_path, pre_path)
        elif kind in FRONTENDS:
            from ..build.user_model import build_frontend_model

            result = build_frontend_model(kind, options, model_path, data_path, input_precision, weights_path, pre_path)
        else:
            from ..build.user_model import build_user_model

            result = build_user_model(
                options, model_path, data_path, input_precision, weights_path, pre_path, io_auto=io_type is None
            )
    for line in result.summary():
        click.echo(line)
