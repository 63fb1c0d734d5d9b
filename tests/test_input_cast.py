"""The emulator's float -> ap_fixed cast equals the Xilinx ap_types headers on every edge value,
for every rounding and overflow mode (the input cast of every firmware fpga-nn builds).

A small C++ program is compiled against the ap_types headers hls4ml ships; it casts the same
doubles into each type and prints the codes. Edge values: +-0, subnormals, +-FLT_MAX, +-DBL_MAX,
+-1e30, +-inf, powers of two +- 1 ulp around every range boundary, half-LSB ties, and random values.
"""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from fpga_nn.fixed import FixedType
from fpga_nn.fixed.arith import from_float

ROUNDING = ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV")
OVERFLOW = ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM")
TYPES = [FixedType(True, 8, 4, q, o) for q in ROUNDING for o in OVERFLOW]
TYPES += [FixedType(False, 8, 4, q, o) for q in ("TRN", "RND_CONV") for o in OVERFLOW]
TYPES += [
    FixedType(True, 12, 5, "TRN", "WRAP"),
    FixedType(True, 16, -2, "RND", "SAT"),
    FixedType(True, 24, 30, "RND_CONV", "WRAP"),
    FixedType(False, 32, 16, "RND_CONV", "SAT"),
]


def _edges() -> np.ndarray:
    f32, f64 = np.finfo(np.float32), np.finfo(np.float64)
    v = [
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        1e-310,
        f64.tiny,
        float(f32.tiny),
        float(f32.max),
        -float(f32.max),
        f64.max,
        -f64.max,
        1e30,
        -1e30,
        1e18,
        -1e18,
        2.0**62,
        -(2.0**62),
        2.0**70 + 2.0**20,
        np.inf,
        -np.inf,
    ]
    for k in range(-40, 80):
        p = 2.0**k
        v += [p, -p, np.nextafter(p, 0), np.nextafter(p, np.inf), -np.nextafter(p, 0), -np.nextafter(p, np.inf)]
    for t in TYPES:
        lo, hi = t.bounds
        q = t.lsb
        for b in (lo, hi):
            v += [b, b - q / 2, b + q / 2, b - q, b + q, np.nextafter(b, np.inf), np.nextafter(b, -np.inf)]
        v += list((np.arange(-40, 40) + 0.5) * q)  # ties
    rng = np.random.default_rng(1)
    v += list(rng.normal(0, 20, 2000)) + list(rng.uniform(-1e12, 1e12, 200))
    return np.asarray(v, dtype=np.float64)


def _cpp_name(t: FixedType) -> str:
    return f"ap_{'' if t.signed else 'u'}fixed<{t.width},{t.integer},AP_{t.rounding},AP_{t.overflow}>"


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> np.ndarray:
    import hls4ml

    headers = Path(hls4ml.__file__).parent / "templates" / "vivado" / "ap_types"
    tmp = tmp_path_factory.mktemp("apcast")
    body = "\n".join(
        f'    {{ {_cpp_name(t)} v = x; std::printf("%lld ", (long long)std::ldexp(v.to_double(), {t.fractional})); }}'
        for t in TYPES
    )
    (tmp / "cast.cpp").write_text(f"""#include <cstdio>
#include <cmath>
#include "ap_fixed.h"
int main() {{
  double x;
  while (std::fread(&x, sizeof x, 1, stdin) == 1) {{
{body}
    std::printf("\\n");
  }}
}}
""")
    subprocess.run(
        ["g++", "-O1", "-std=c++14", f"-I{headers}", "cast.cpp", "-o", "cast"], cwd=tmp, check=True, capture_output=True
    )
    out = subprocess.run([str(tmp / "cast")], input=_edges().tobytes(), capture_output=True, check=True).stdout
    return np.array([[int(c) for c in line.split()] for line in out.decode().splitlines()], dtype=np.int64)


@pytest.mark.parametrize("index", range(len(TYPES)), ids=[t.to_ap() for t in TYPES])
def test_from_float_equals_ap_fixed(reference, index):
    t = TYPES[index]
    x = _edges()
    got = from_float(x, t)
    want = reference[:, index]
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(float(x[i]), int(got[i]), int(want[i])) for i in bad[:5]]


def test_nan_is_refused_not_cast():
    with pytest.raises(ValueError, match="NaN"):
        from_float(np.array([1.0, np.nan]), TYPES[0])
