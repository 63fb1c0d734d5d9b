"""Corpus cases of the embedding family (``fpga_nn/layers/embedding.py``)."""

from __future__ import annotations

from . import Case, _seeded


def cases() -> list[Case]:
    import tensorflow as tf
    from qkeras import QActivation, QDense

    L = tf.keras.layers

    def particle_id_embedding():
        """A constituent tagger's particle-type input: 16 particles, 8 types, embedded in 4 dimensions (the
        vectors trained on a 1/64 grid), then a quantized dense head."""
        inp = tf.keras.Input((16,), name="pid")
        h = L.Embedding(8, 4, name="pid_embed")(inp)
        h = L.Flatten(name="flat")(h)
        h = QDense(6, kernel_quantizer="quantized_bits(6,0,alpha=1)", bias_quantizer="quantized_bits(6,0,alpha=1)",
                   name="fc")(h)  # fmt: skip
        h = QActivation("quantized_relu(8,3)", name="relu")(h)
        model = _seeded(tf.keras.Model(inp, h, name="pid_tagger"), 17)
        table = model.get_layer("pid_embed").get_weights()[0]
        model.get_layer("pid_embed").set_weights([(table * 64).round() / 64])
        return model

    return [Case("particle_id_embedding", particle_id_embedding, (16,), "exact", data="codes:8")]
