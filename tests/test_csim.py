"""The C-simulation library is built from hls4ml's own build_lib.sh, as one translation unit."""

from __future__ import annotations

import pytest

from fpga_nn.verify.csim import build_script


def test_build_script_makes_one_translation_unit_of_hls4mls_script(default_build):
    original = (default_build / "build_lib.sh").read_text()
    script = build_script(original, "-O1")
    assert original.count("${CC} ${CFLAGS}") == 3 and script.count("${CC} ${CFLAGS}") == 1  # pattern of hls4ml 1.3
    assert '#include "firmware/%s.cpp"' in script and 'CFLAGS="-O1 -fPIC"' in script
    assert build_script(original).count('CFLAGS="-O3 -fPIC"') == 1


def test_build_script_refuses_unknown_flags():
    with pytest.raises(ValueError, match="-O9"):
        build_script('CFLAGS="-O3 -fPIC"', "-O9")
