"""Embeddings: a table of vectors looked up by integer codes (particle types, detector ids, categories)."""

from .base import BOTH, Family, Support

FAMILY = Family(
    name="embedding",
    keras={
        "Embedding": Support(
            "exact",
            BOTH,
            "the inputs are integer codes (an ap_uint input type) and the vectors must hold fixed-point values, "
            "as a Dense layer's weights",
        ),
    },
    hls4ml={"Embedding": "emu_linear:embedding"},
    attrs=("n_in", "n_out", "vocab_size"),
)
