"""Child process of :func:`fpga_nn.verify.csim.run_csim`: load the library, run every event.

Usage: python -m fpga_nn.verify.csim_worker LIB PROJECT N_OUTPUTS INPUTS.npy OUTPUTS.npy
Only numpy and ctypes are imported, so the child starts in well under a second.
"""

import ctypes
import sys

import numpy as np


def main(argv: list[str]) -> int:
    lib_path, project, n_out, xin, yout = argv
    n_out = int(n_out)
    x = np.load(xin)
    lib = ctypes.cdll.LoadLibrary(lib_path)
    fn = getattr(lib, f"{project}_double")
    ptr = np.ctypeslib.ndpointer(ctypes.c_double, flags="C_CONTIGUOUS")
    fn.argtypes = [ptr, ptr]
    fn.restype = None
    y = np.zeros((len(x), n_out), dtype=np.float64)
    row = np.zeros(n_out, dtype=np.float64)
    for i in range(len(x)):
        fn(x[i], row)
        y[i] = row
    np.save(yout, y)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
