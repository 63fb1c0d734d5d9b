"""The project folder's typed records (fpga_nn/project_files.py)."""

from __future__ import annotations

import re

import pytest


def test_project_records_are_typed_and_a_damaged_one_is_one_line(tmp_path):
    import json

    from fpga_nn.errors import UserInputError
    from fpga_nn.project_files import CsimCheck, ProjectFiles, RtlCheck

    files = ProjectFiles(tmp_path)
    assert files.read(CsimCheck) is None  # no file: the reader says what is missing
    files.csim_check.write_text(json.dumps({"events": 5, "mismatches": 0, "extra": [1]}))
    assert files.read(CsimCheck) == CsimCheck(events=5, mismatches=0, input_stage=None)
    for bad, phrase in (
        ({"events": 5}, "no 'mismatches'"),
        ({"events": 5, "mismatches": True}, "'mismatches' = True"),
        ({"events": 5.5, "mismatches": 0}, "'events' = 5.5"),
    ):
        files.csim_check.write_text(json.dumps(bad))
        with pytest.raises(UserInputError, match=re.escape(phrase) + ".*the bit accuracy is unknown"):
            files.read(CsimCheck)
    files.rtl.mkdir()
    files.rtl_check.write_text("{not json")
    with pytest.raises(UserInputError, match="rtl_check.json is not valid JSON"):
        files.read(RtlCheck)


def test_the_input_stage_check_is_a_typed_record_too(tmp_path):
    import json

    from fpga_nn.errors import UserInputError
    from fpga_nn.project_files import CsimCheck, InputStageCheck, ProjectFiles, StageFeature

    files = ProjectFiles(tmp_path)
    stage = {
        "declaration": "preprocess.json",
        "input_type": "ap_ufixed<8,3>",
        "features": {"eg1_et": {"kind": "wire", "bits": 8, "mismatched_events": 0}},
        "events": 7,
        "mismatches": 0,
    }
    files.csim_check.write_text(json.dumps({"events": 7, "mismatches": 0, "input_stage": stage}))
    check = files.read(CsimCheck)
    assert isinstance(check.input_stage, InputStageCheck)
    assert check.input_stage.features == {"eg1_et": StageFeature(kind="wire", bits=8, mismatched_events=0)}
    stage["features"]["eg1_et"]["bits"] = "8"
    files.csim_check.write_text(json.dumps({"events": 7, "mismatches": 0, "input_stage": stage}))
    with pytest.raises(UserInputError, match=re.escape("'bits' = '8'")):
        files.read(CsimCheck)
