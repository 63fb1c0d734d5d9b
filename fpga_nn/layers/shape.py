"""Layers that move values only: input, reshape, flatten, padding, nearest-neighbour upsampling, and the
training-only layers hls4ml removes."""

from .base import BOTH, STREAM, Family, Support

_REMOVED = Support("exact", BOTH, "no hardware (removed by hls4ml)")
FAMILY = Family(
    name="shape",
    keras={
        "InputLayer": Support("exact", BOTH, "cast to the input type (inferred from the data or --input-precision)"),
        "Reshape": Support("exact", BOTH),
        "Flatten": Support("exact", BOTH),
        "ZeroPadding1D": Support("exact", BOTH),
        "ZeroPadding2D": Support("exact", BOTH),
        "UpSampling1D": Support("exact", STREAM, "hls4ml implements nearest-neighbour resize for io_stream"),
        "UpSampling2D": Support("exact", BOTH, "nearest-neighbour only"),
        "Dropout": _REMOVED,
        "SpatialDropout1D": _REMOVED,
        "SpatialDropout2D": _REMOVED,
        "GaussianNoise": _REMOVED,
    },
    hls4ml={
        "Input": None,
        "Reshape": None,
        "ZeroPadding1D": "emu_window:zeropad",
        "ZeroPadding2D": "emu_window:zeropad",
        "Resize": "emu_window:resize",
    },
    attrs=("algorithm",),
)
