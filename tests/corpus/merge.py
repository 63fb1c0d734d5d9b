"""Corpus cases of the merge family (``fpga_nn/layers/merge.py``)."""

from __future__ import annotations

from . import Case, _functional, _merge, _skip_add


def cases() -> list[Case]:
    return [
        Case("skip_add", _functional(_skip_add), (6,), "exact"),
        Case("merge_subtract", _functional(_merge("sub")), (6,), "exact"),
        Case("merge_multiply", _functional(_merge("mul")), (6,), "exact"),
        Case("merge_concatenate", _functional(_merge("cat")), (6,), "exact"),
    ]
