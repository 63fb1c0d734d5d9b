import pytest

from fpga_nn.errors import UserInputError
from fpga_nn.hardware.parts import parse_part


@pytest.mark.parametrize(
    "name, device, package, speed, temperature",
    [
        ("xcvu13p-flga2577-2-e", "vu13p", "flga2577", "2", "e"),
        ("xcku115-flvb2104-2-i", "ku115", "flvb2104", "2", "i"),
        ("xc7z020clg400-1", "7z020", "clg400", "1", ""),
        ("xcu250-figd2104-2L-e", "u250", "figd2104", "2L", "e"),
        ("xc7vx690tffg1761-2", "7vx690t", "ffg1761", "2", ""),
        ("xczu9eg-ffvb1156-2-e", "zu9eg", "ffvb1156", "2", "e"),
    ],
)
def test_well_formed_parts(name, device, package, speed, temperature):
    part = parse_part(name)
    assert (part.device, part.package, part.speed, part.temperature) == (device, package, speed, temperature)


@pytest.mark.parametrize(
    "name",
    [
        "vu13p",
        "xcvu13p",
        "xcvu13p-flga2577",
        "xc7z020-clg400",
        "xcvu13p_flga2577_2_e",
        "",
        "xcvu13p-flga2577-2-e-extra",
        "ep4ce22f17c6",
    ],
)
def test_malformed_parts_show_expected_form(name):
    with pytest.raises(UserInputError, match="xcvu13p-flga2577-2-e") as info:
        parse_part(name)
    assert "malformed FPGA part" in str(info.value)


def test_capacity_table_and_unknown_part(caplog):
    assert parse_part("xc7z020clg400-1").capacity.dsp == 220
    assert parse_part("xcvu13p-flga2577-2-e").capacity.lut == 1_728_000
    unknown = parse_part("xcvu47p-fsvh2892-2-e")
    assert unknown.capacity is None
    assert "not in fpga-nn's capacity table" in caplog.text
