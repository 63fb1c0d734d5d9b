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
    type=click.Choice(["trigger", "cnn", "model"]),
    default=None,
    help="trigger: train the 5-6-1 trigger network on the embedded data (default without --model); "
    "cnn: the compact CNN on generated jet images; model: your --model (default with --model).",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A Keras/QKeras model (.h5, .keras or a SavedModel folder) to build, with --data.",
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
@click.option("--io-type", type=click.Choice(["io_parallel", "io_stream"]), default="io_parallel", show_default=True)
@click.option("--clock-period", type=float, default=5.0, show_default=True, help="Target clock period in ns.")
@click.option("--reuse-factor", type=int, default=1, show_default=True)
@click.option("--input-precision", default=None, help="With --model: input type such as ap_fixed<16,6>.")
@click.option(
    "--rtl/--no-rtl",
    default=None,
    help="Open-source RTL path (da4ml Verilog, Verilator, Yosys); default: on when the tools are there.",
)
@click.option("--synth", is_flag=True, help="Run vendor C synthesis and logic synthesis (needs Vitis/Vivado).")
@click.option(
    "--latency-cutoff",
    type=float,
    default=7.0,
    show_default=True,
    help="da4ml pipelining: logic delay per pipeline stage (da4ml units).",
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
@click.option("--force", is_flag=True, help="Replace an existing project directory.")
def build(
    part,
    task,
    model_path,
    data_path,
    name,
    output_dir,
    backend,
    io_type,
    clock_period,
    reuse_factor,
    input_precision,
    rtl,
    synth,
    latency_cutoff,
    input_rate_khz,
    no_softmax,
    force,
):
    """Build a verified HLS project for PART and print its path and the csim check."""
    import json

    from ..errors import UserInputError
    from ..hardware.parts import parse_part
    from ..pipeline.firmware import BuildOptions

    part = parse_part(part).name  # before any heavy import or work (spaces stripped)
    if model_path is None and input_precision is not None:
        raise UserInputError("--input-precision applies to --model builds only")
    if input_precision is not None:
        from ..fixed import FixedType

        FixedType.parse(input_precision)
    if task is None:
        task = "model" if model_path is not None else "trigger"
    if task == "model" and model_path is None:
        raise UserInputError("--task model needs --model FILE.h5 and --data FILE.npy")
    if task != "model" and model_path is not None:
        raise UserInputError(f"--task {task} trains its own network: drop --model, or use --task model")
    if task == "cnn" and data_path is not None:
        raise UserInputError("--task cnn generates its own jet images: drop --data")
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
        name = {"trigger": "trigger", "cnn": "cnn"}.get(task) or safe_name(model_path.stem)
    options = BuildOptions(
        part=part,
        name=name,
        backend=backend,
        io_type=io_type,
        clock_period=clock_period,
        reuse_factor=reuse_factor,
        output_dir=output_dir,
        force=force,
        rtl=rtl,
        synth=synth,
        latency_cutoff=latency_cutoff,
        input_rate_khz=input_rate_khz,
        no_softmax=no_softmax,
    )
    if task == "cnn":
        from ..pipeline.cnn import build_cnn

        target = build_cnn(options._replace(io_type="io_stream"))
    elif task == "trigger":
        from ..pipeline.trigger import build_trigger

        target = build_trigger(options, data_path=data_path)
    else:
        from ..pipeline.user_model import build_user_model

        target = build_user_model(options, model_path, data_path, input_precision)
    check = json.loads((target / "csim_check.json").read_text())
    click.echo(f"project: {target}")
    head = check.get("softmax")
    if head:
        click.echo(
            f"csim check: {check['mismatches']} mismatches / {check['events']} events up to the "
            f"{head['function']} (bit-exact against QKeras at {check['checked']})"
        )
        agree = (
            f", argmax agreement {head['argmax_agreement_percent']:.2f} %" if "argmax_agreement_percent" in head else ""
        )
        click.echo(
            f"{head['function']} '{head['layer']}' (hls4ml table): equal to the emulator on "
            f"{check['events'] - head['emulator_mismatches']} of {check['events']} events; vs float "
            f"{head['function']}: max |diff| {head['max_abs_diff_vs_float']:.4g}{agree}"
        )
    else:
        click.echo(
            f"csim check: {check['mismatches']} mismatches / {check['events']} events "
            f"(bit-exact against the offline quantized model, output {check['output_type']})"
        )
    cast = check.get("input_cast") or {}
    if cast.get("changed_values"):
        click.echo(
            f"input cast: {cast['type']} changed {cast['changed_values']} input values in "
            f"{cast['changed_events']} events (max |change| {cast['max_abs_change']:.4g}); the reference "
            "saw the cast values, as the firmware does (vectors/inputs.npy)"
        )
    report_file = target / "report.json"
    if report_file.is_file():
        from .report import summary_lines

        for line in summary_lines(json.loads(report_file.read_text())):
            click.echo(line)
    metrics_file = target / "metrics.json"
    m = json.loads(metrics_file.read_text())
    if task == "cnn":  # the CLI knows which pipeline ran: no guessing from the record's keys
        e = m["emulator_whole_test_set"]
        click.echo(
            f"AUC QKeras {m['quantized']['auc']:.4f}, firmware (csim, {m['csim']['images']} images) "
            f"{m['csim']['auc']:.4f}; emulator == QKeras on {e['images'] - e['mismatches_vs_qkeras']} "
            f"of {e['images']} test images"
        )
    elif task == "trigger":
        wp = {w["target_background_efficiency"]: w["signal_efficiency"] for w in m["csim"]["working_points"]}
        click.echo(
            f"AUC float {m['float']['auc']:.4f}, quantized {m['quantized']['auc']:.4f}, "
            f"firmware {m['csim']['auc']:.4f}; signal efficiency {wp[0.01]:.3f} at 1% and "
            f"{wp[0.10]:.3f} at 10% background"
        )
