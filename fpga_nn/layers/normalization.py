"""Batch normalization: refused as a layer of its own (its float scale is rounded in firmware), exact between a
Dense/Conv and a binary or ternary activation (it ends in the activation's solved threshold,
``convert/thresholds.py``: the checker's ``chained`` verdict); hls4ml's BatchNormalization/ApplyAlpha classes
also carry the folded scales of quantizers with alpha='auto_po2'."""

from .base import BOTH, Family, Support

FAMILY = Family(
    name="normalization",
    keras={
        "BatchNormalization": Support(
            "refused",
            BOTH,
            "its float scale and shift are rounded to fixed point (and folded "
            "into the layer before it) in firmware, so results differ from "
            "QKeras near rounding boundaries: fold it into the weights "
            "(QConv2DBatchnorm) or quantize the model without it; exact between a Dense/Conv and a "
            "binary/ternary activation (folded into its threshold)",
        ),
        "QBatchNormalization": Support(
            "refused",
            BOTH,
            "computed in float by QKeras, rounded to fixed point in firmware: fold it into the weights "
            "(QConv2DBatchnorm)",
        ),
        "LayerNormalization": Support("refused", BOTH, "hls4ml's LayerNormalization uses a table for 1/sqrt"),
    },
    hls4ml={"BatchNormalization": "emulator:batchnorm", "ApplyAlpha": "emulator:batchnorm"},
    attrs=("n_scale_bias",),
    auto_result=frozenset({"BatchNormalization", "QBatchNormalization"}),
)
