"""Convolutions: Conv1D/2D and their QKeras twins, QConv2DBatchnorm (folded kernel), pointwise."""

from .base import BOTH, Family, Support

FAMILY = Family(
    name="conv",
    keras={
        "Conv1D": Support("exact", BOTH),
        "Conv2D": Support("exact", BOTH),
        "QConv1D": Support("exact", BOTH),
        "QConv2D": Support("exact", BOTH),
        "QConv2DBatchnorm": Support("exact", BOTH, "converted with the folded, quantized kernel"),
    },
    hls4ml={
        "Conv1D": "emu_linear:conv",
        "Conv2D": "emu_linear:conv",
        "Conv2DBatchnorm": "emu_linear:conv",
        "PointwiseConv1D": "emu_linear:conv",
        "PointwiseConv2D": "emu_linear:conv",
    },
    attrs=(
        "n_chan",
        "n_filt",
        "filt_width",
        "filt_height",
        "stride_width",
        "stride_height",
        "pad_left",
        "pad_right",
        "pad_top",
        "pad_bottom",
        "in_width",
        "in_height",
        "out_width",
        "out_height",
    ),  # fmt: skip
    auto_result=frozenset({"Conv1D", "Conv2D", "QConv1D", "QConv2D", "QConv2DBatchnorm"}),
)
