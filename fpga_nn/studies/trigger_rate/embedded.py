"""The embedded default stream (``fpga_nn/data/default/trigger_stream.h5``): the study's full level-1 stream as
its five 8-bit input codes per crossing, with each crossing's process and rate weight. ``make demo`` runs the
study on it (``fpga-nn trigger-rate --embedded``), with no Pythia run. Every input the study and the firmware
read is a function of the codes (the inputs are ``code * 0.5 GeV`` on the level-1 bus), so the embedded sample
gives the study's numbers for the same seeds and settings.

Regenerate it (the stream from the sample cache, or generated: about 12 minutes on 2 cores):

    python -m fpga_nn.studies.trigger_rate.embedded
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from . import selection, stream

NAME = "trigger_stream.h5"


def path() -> Path:
    return Path(str(resources.files("fpga_nn.data") / "default" / NAME))


def export(cfg: stream.StreamConfig | None = None, workers: int | None = None, to: Path | None = None) -> Path:
    """Write the embedded stream of ``cfg`` (by default the study's) to ``to`` (by default the package's file)."""
    cfg = cfg or stream.StreamConfig()
    import h5py

    from ...atomic import replacing

    s = stream.cached(cfg, workers)
    codes = selection.codes(selection.raw(s)).astype(np.uint8)
    target = to or path()
    with replacing(target) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("codes", data=codes, compression="gzip", compression_opts=9, shuffle=True)
        f.create_dataset("process", data=s["process"], compression="gzip", compression_opts=9)
        f.create_dataset("weight_hz", data=s["weight_hz"], compression="gzip", compression_opts=9, shuffle=True)
        f.attrs["inputs"] = json.dumps(list(selection.NAMES))
        f.attrs["lsb_gev"] = selection.LSB_GEV
        f.attrs["info"] = json.dumps(s["info"], sort_keys=True)
    return target


def load(source: Path | None = None) -> dict:
    """The embedded stream as :func:`stream.load` gives a full one, with ``raw_gev`` (the inputs in GeV, from the
    codes) in place of the level-1 objects."""
    import h5py

    from ...errors import UserInputError

    source = source or path()
    if not source.is_file():
        raise UserInputError(
            f"embedded stream {source} not found: reinstall fpga-nn, or regenerate it with "
            "'python -m fpga_nn.studies.trigger_rate.embedded'"
        )
    with h5py.File(source, "r") as f:
        if json.loads(f.attrs["inputs"]) != list(selection.NAMES) or f.attrs["lsb_gev"] != selection.LSB_GEV:
            raise UserInputError(f"{source} holds other inputs than this version's: regenerate it")
        codes = f["codes"][()].astype(np.float64)
        out = {"process": f["process"][()], "weight_hz": f["weight_hz"][()], "info": json.loads(f.attrs["info"])}
    out["raw_gev"] = codes * selection.LSB_GEV
    return out


if __name__ == "__main__":
    import fpga_nn  # noqa: F401 - TF_USE_LEGACY_KERAS before TensorFlow

    written = export()
    print(f"wrote {written} ({written.stat().st_size / 1e6:.2f} MB)")
