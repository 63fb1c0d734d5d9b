import numpy as np
import pytest

from fpga_nn.errors import UserInputError
from fpga_nn.fixed import FixedType


def test_narrowest_type_for_8bit_codes():
    assert FixedType.narrowest_for(np.arange(256) / 256) == FixedType(False, 8, 0)


@pytest.mark.parametrize(
    "values, expected",
    [
        ([-1.5, 0.25, 3.0], FixedType(True, 5, 3)),
        ([0, 1, 2, 255], FixedType(False, 8, 8)),
        ([-128, 127], FixedType(True, 8, 8)),
        ([-129, 127], FixedType(True, 9, 9)),
        ([0.5, 0.75], FixedType(False, 2, 0)),
    ],
)
def test_narrowest_type(values, expected):
    t = FixedType.narrowest_for(np.array(values, dtype=float))
    assert t == expected
    assert t.representable(np.array(values)).all()


def test_no_exact_type_for_tenths():
    assert FixedType.narrowest_for(np.array([0.1])) is None


def test_parse_and_spell():
    t = FixedType.parse("ap_fixed<16,6,AP_RND_CONV,AP_SAT>")
    assert t == FixedType(True, 16, 6, "RND_CONV", "SAT")
    assert t.to_hls() == "fixed<16,6,RND_CONV,SAT>"
    assert FixedType.parse("ufixed<8,0,TRN,WRAP,0>").to_ap() == "ap_ufixed<8,0>"
    assert t.lsb == 2.0**-10
    with pytest.raises(UserInputError, match="ap_fixed<W,I>"):
        FixedType.parse("float")


def test_representable_bounds():
    t = FixedType(True, 4, 2)  # [-2, 1.75] step 0.25
    got = t.representable(np.array([-2.0, 1.75, 2.0, -2.25, 0.125]))
    assert got.tolist() == [True, True, False, False, False]
