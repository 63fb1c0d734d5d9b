"""Depthwise and separable convolutions (hls4ml implements them for io_stream only)."""

from .base import STREAM, Family, Support

DEPTHWISE = ("DepthwiseConv1D", "DepthwiseConv2D", "QDepthwiseConv2D")
SEPARABLE = ("SeparableConv1D", "SeparableConv2D", "QSeparableConv1D", "QSeparableConv2D")
KERAS = DEPTHWISE + SEPARABLE

FAMILY = Family(
    name="depthwise",
    keras={
        **dict.fromkeys(
            DEPTHWISE, Support("exact", STREAM, "hls4ml implements it for io_stream only; depth_multiplier=1")
        ),
        **dict.fromkeys(
            SEPARABLE,
            Support("exact", STREAM, "hls4ml implements it for io_stream only, as a depthwise and a pointwise conv"),
        ),
    },
    hls4ml={"DepthwiseConv1D": "emu_linear:depthwise", "DepthwiseConv2D": "emu_linear:depthwise"},
    auto_result=frozenset(KERAS),
)
