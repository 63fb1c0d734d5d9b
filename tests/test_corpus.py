"""Models written the ways users write them (tests/corpus/): each builds exact, exact up to its
softmax, or is refused naming the layer and the reason.

Every accepted model is converted and run through the emulator against QKeras on 1,000 inputs that
saturate; the C-simulation runs on the models whose hls4ml layer classes the emulator does not
model and on one model per layer class the emulator does (the emulator equals the C-simulation on
every event of all of them: the survey behind docs/byom.md, and test_csim_representatives).
"""

import tempfile
from pathlib import Path

import numpy as np
import pytest

from fpga_nn.build.firmware import BuildOptions, convert_and_verify
from fpga_nn.convert import graph, support
from fpga_nn.errors import UnsupportedModelError

from . import corpus
from .conftest import PART

CASES = {c.name: c for c in corpus.cases()}
CSIM = [
    "jet_tagger_softmax",
    "jet_tagger_reloaded",
    "nested_sequential_input_named_in",
    "skip_add",
    "merge_concatenate",
    "conv2d_avgpool",
    "kernel_po2",
    "kernel_binary",
    "qconv2d_bn",
    "qdepthwise2d",
    "qseparable2d",
    "upsample1d_pad1d",
    "qact_ternary",
    "dense_sigmoid_head",
    "conv2d_global_max_stream",
    "ternary_network",
    "qseparable1d_quantized_bits",
    "particle_id_embedding",
    "qconv2d_plain_relu",
    "qdense_quantized_tanh_kwarg",
    "bnn_binary_mlp",
]


def test_corpus_size_and_coverage():
    cases = corpus.cases()
    assert len(cases) >= 40
    assert {"exact", "softmax", "refused"} == {c.verdict for c in cases}
    models = {c.name: graph.normalize(c.make()) for c in cases if c.verdict != "refused"}
    seen = {type(layer).__name__ for m in models.values() for layer in m.layers}
    for cls in (
        "QConv2DBatchnorm",
        "QDepthwiseConv2D",
        "DepthwiseConv1D",
        "QSeparableConv1D",
        "QSeparableConv2D",
        "AveragePooling1D",
        "AveragePooling2D",
        "GlobalMaxPooling1D",
        "GlobalMaxPooling2D",
        "GlobalAveragePooling2D",
        "Add",
        "Subtract",
        "Multiply",
        "Concatenate",
        "Reshape",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "UpSampling1D",
        "UpSampling2D",
        "Embedding",
    ):
        assert cls in seen, cls


@pytest.mark.parametrize("name", [c.name for c in corpus.cases() if c.verdict == "refused"])
def test_refused_before_any_work(name):
    case = CASES[name]
    model = graph.normalize(case.make())
    with pytest.raises(UnsupportedModelError) as err:
        support.check_supported(model, case.io_type)
    message = str(err.value)
    assert f"layer '{case.layer}'" in message
    assert case.reason in message
    assert "\n" not in message


def _emulate(case, model, x, with_wide=False):
    """Convert without compiling; the table head and the emulator's outputs (``with_wide``: and whether QKeras's
    float32 cannot be the reference, ``float32_inexact``: then the build's reference is QKeras in float64)."""
    from fpga_nn.build.firmware import table_head
    from fpga_nn.convert.project import convert_model, float32_inexact
    from fpga_nn.verify import record
    from fpga_nn.verify.emulator import Emulator

    head = table_head(model)
    with tempfile.TemporaryDirectory() as tmp:
        _, hm = convert_model(model, tmp, corpus.input_type(case), io_type=case.io_type)
        record.export(hm, Path(tmp))
        got = Emulator(tmp).predict(x)
    return (head, got, bool(float32_inexact(hm))) if with_wide else (head, got)


@pytest.mark.slow
@pytest.mark.parametrize("name", [c.name for c in corpus.cases() if c.verdict != "refused" and c.name not in CSIM])
def test_accepted_emulator_equals_qkeras(name):
    from fpga_nn.build.user_model import without_head

    case = CASES[name]
    model = graph.normalize(case.make())
    assert all(v.verdict != "refused" for v in support.verdicts(model, case.io_type))
    if case.verdict == "softmax":  # the logits are the exact part (what --no-softmax builds)
        model = without_head(model)
    x = corpus.inputs(case)
    head, got, wide = _emulate(case, model, x, with_wide=True)
    assert head is None
    want = model.predict(x, verbose=0).reshape(len(x), -1)
    if wide:  # sums float32 rounds, in a CPU-dependent order: QKeras in float64, as the build compares
        from fpga_nn.build.reference import float64_predict

        try:
            want = float64_predict(model, x).reshape(len(x), -1)
        except TypeError:  # QKeras's power-of-two scale mixes dtypes in float64: float32 it is, as before
            pass
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(want, axis=0)) > 5  # the inputs exercise the model
    if case.data == "near":  # the ternary threshold itself is among the inputs
        assert (x == 0.25).sum() > 20


@pytest.mark.csim
@pytest.mark.parametrize("name", CSIM)
def test_csim_representatives(name, tmp_path):
    case = CASES[name]
    x = corpus.inputs(case)
    opts = BuildOptions(part=PART, name="corpus", io_type=case.io_type, csim_optimization="-O1")
    checked = convert_and_verify(case.make(), x, corpus.input_type(case), tmp_path, opts)
    summary = checked.summary
    assert summary["events"] == 1000
    assert summary["mismatches"] == 0, summary["first_mismatches"][:2]
    emu = summary["emulator"]
    if emu["available"]:
        assert emu["mismatches_vs_csim"] == 0
    if case.verdict == "softmax":
        head = summary["softmax"]
        assert head["emulator_mismatches"] == 0
        assert head["max_abs_diff_vs_float"] > 0  # a table: never equal to the float function
        assert "input of" in summary["checked"]
    else:
        assert "softmax" not in summary
        np.testing.assert_array_equal(
            np.load(tmp_path / "vectors" / "csim.npy"), np.load(tmp_path / "vectors" / "expected.npy")
        )
