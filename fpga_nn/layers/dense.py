"""Dense layers: QKeras QDense, and Keras Dense with weights on a fixed-point grid."""

from .base import BOTH, Family, Support

FAMILY = Family(
    name="dense",
    keras={
        "Dense": Support(
            "exact", BOTH, "weights must hold fixed-point values: quantize them (QDense) or train on a grid"
        ),
        "QDense": Support("exact", BOTH),
        "QDenseBatchnorm": Support(
            "refused",
            BOTH,
            "hls4ml 1.3 has no converter for QDenseBatchnorm: use QDense followed by BatchNormalization and a "
            "quantizer",
        ),
    },
    hls4ml={"Dense": "emu_linear:dense"},
    attrs=("n_in", "n_out"),
    auto_result=frozenset({"Dense", "QDense"}),
)
