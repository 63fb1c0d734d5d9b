"""Command-line interface: one thin module per subcommand; heavy imports happen inside commands."""

from __future__ import annotations

import logging
import os
import signal
import sys

import click

from .. import outdir, signals
from ..errors import FpgaNnError, Terminated
from .build import build
from .check import check
from .cnn import cnn
from .compare import compare
from .data import data
from .emulate import emulate
from .report import report
from .scan import scan
from .studies import commands as study_commands
from .suite import suite


def _quiet_frameworks() -> None:
    # 3, not 2: TensorFlow's CUDA-registration messages survive level 2.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import warnings

    warnings.filterwarnings("ignore", module="qkeras")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices from predict in loops
    warnings.filterwarnings("ignore", message=".*keras.constraints.*")
    warnings.filterwarnings("ignore", category=UserWarning, module="keras")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="fpga-nn")
def cli(verbose: int) -> None:
    """fpga-nn: trigger classifiers from training data to bit-exact FPGA firmware."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("fpga_nn").setLevel(min(level, logging.INFO))
    _quiet_frameworks()


cli.add_command(build)
cli.add_command(check)
cli.add_command(data)
cli.add_command(emulate)
cli.add_command(report)
cli.add_command(suite)
cli.add_command(scan)
cli.add_command(cnn)
cli.add_command(compare)
for _study in study_commands():  # llp, events, tracking: fpga_nn/studies/ registry
    cli.add_command(_study)


def main(argv: list[str] | None = None) -> int:
    try:
        previous = signal.signal(signal.SIGTERM, signals.on_sigterm)
    except ValueError:  # not the main thread (an embedding application): leave signals alone
        previous = None
    try:
        cli.main(args=argv, prog_name="fpga-nn", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted: the partial output was removed", err=True)
        return 130
    except Terminated:
        click.echo("terminated (SIGTERM): the partial output was removed", err=True)
        return 143
    except click.UsageError as exc:  # one line, like every other refusal
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{where}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except FpgaNnError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except BaseException:
        if signals.terminating():  # SIGTERM came while a library ran (it may have wrapped it in its own error)
            click.echo("terminated (SIGTERM): the partial output was removed", err=True)
            return 143
        raise
    finally:
        signals.finished()
        outdir.release_all()  # a command refused after taking a lock leaves no lock file, in-process too
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
