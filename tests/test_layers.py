"""The layer registry (fpga_nn/layers/): one module per family, and every table of the flow a view of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fpga_nn import layers
from fpga_nn.layers import BOTH, STREAM, Family, Support

DOCS = Path(__file__).parents[1] / "docs" / "byom.md"


def _clear():
    for view in (
        layers.keras_support,
        layers.hls4ml_classes,
        layers.record_attrs,
        layers.auto_result_parents,
        layers.multi_input,
        layers.emulator_steps,
    ):
        view.cache_clear()


def test_the_docs_table_is_the_registry():
    text = DOCS.read_text()
    block = re.search(r"<!-- layers:begin[^>]*-->\n(.*?)<!-- layers:end -->", text, re.S)
    assert block, "docs/byom.md lost its generated layer table markers"
    assert block.group(1) == layers.markdown_table(), "regenerate it: python -m fpga_nn.layers"


def test_the_flow_reads_views_of_the_registry():
    from fpga_nn.convert import hls_config, support
    from fpga_nn.verify import emu_linear, emu_tables, emu_window, record

    assert support.LAYERS == layers.keras_support() and len(support.LAYERS) == 60
    assert record.SUPPORTED == layers.hls4ml_classes() and len(record.SUPPORTED) == 26
    assert record._ATTRS == layers.record_attrs() and len(set(record._ATTRS)) == len(record._ATTRS) == 29
    assert hls_config._PARENTS_WITH_AUTO_RESULT == layers.auto_result_parents()
    steps = layers.emulator_steps()
    assert steps["Dense"] is emu_linear.dense and steps["Softmax"] is emu_tables.softmax
    assert steps["Pooling2D"] is emu_window.pooling and "Reshape" not in steps and "Input" not in steps
    assert layers.multi_input() == {"Merge", "Concatenate"}
    # every hls4ml class the record accepts is run by a step, except those that only move values
    assert layers.hls4ml_classes() - set(steps) == {"Input", "Reshape"}
    assert support.LAYERS["SeparableConv2D"] == Support(
        "exact", STREAM, "hls4ml implements it for io_stream only, as a depthwise and a pointwise conv"
    )
    assert [name for name, s in support.LAYERS.items() if s.verdict == "table"] == ["Softmax"]


def test_a_new_family_is_one_module_and_one_registry_line(monkeypatch):
    # what a new family's module declares; appended to FAMILIES, it reaches every view
    fake = Family(
        name="fake",
        keras={"QFancy": Support("exact", BOTH, "a test family")},
        hls4ml={"Fancy": "emu_linear:dense"},
        attrs=("fancy_width",),
        auto_result=frozenset({"QFancy"}),
    )
    monkeypatch.setattr(layers, "FAMILIES", (*layers.FAMILIES, fake))
    _clear()
    try:
        assert layers.keras_support()["QFancy"].note == "a test family"
        assert "Fancy" in layers.hls4ml_classes() and layers.record_attrs()[-1] == "fancy_width"
        assert "QFancy" in layers.auto_result_parents() and "Fancy" in layers.emulator_steps()
        assert "| fake | QFancy | both | exact | a test family |" in layers.markdown_table()
        # a class claimed twice is a registry error naming it
        monkeypatch.setattr(layers, "FAMILIES", (*layers.FAMILIES, Family("twin", {"QFancy": Support("exact")})))
        _clear()
        with pytest.raises(RuntimeError, match="keras class 'QFancy' is declared by two families"):
            layers.keras_support()
    finally:
        monkeypatch.undo()
        _clear()


def test_the_corpus_lives_beside_the_families():
    from . import corpus

    assert corpus.FAMILIES == tuple(f.name for f in layers.FAMILIES)  # one corpus module per registry family
    names = [c.name for c in corpus.cases()]
    assert len(names) == len(set(names)) == 68
