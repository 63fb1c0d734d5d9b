"""Child process of :func:`fpga_nn.verify.csim.run_csim`: load the library, run every event.

Usage: python -m fpga_nn.verify.csim_worker LIB PROJECT N_OUTPUTS INPUTS.npy OUTPUTS.npy [N_TRACED TRACE.npy]
With N_TRACED, the one layer compiled with tracing (the input of a softmax head) is collected
for every event too. Only numpy and ctypes are imported, so the child starts in well under a second.
"""

import ctypes
import sys

import numpy as np


class _TraceData(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.c_void_p)]


def main(argv: list[str]) -> int:
    lib_path, project, n_out, xin, yout, *trace_args = argv
    n_out = int(n_out)
    x = np.load(xin)
    lib = ctypes.cdll.LoadLibrary(lib_path)
    fn = getattr(lib, f"{project}_double")
    ptr = np.ctypeslib.ndpointer(ctypes.c_double, flags="C_CONTIGUOUS")
    fn.argtypes = [ptr, ptr]
    fn.restype = None
    y = np.zeros((len(x), n_out), dtype=np.float64)
    row = np.zeros(n_out, dtype=np.float64)
    n_traced = int(trace_args[0]) if trace_args else 0
    if n_traced:
        lib.allocate_trace_storage.argtypes = [ctypes.c_size_t]
        lib.allocate_trace_storage(ctypes.sizeof(ctypes.c_double))
        lib.collect_trace_output.argtypes = [ctypes.POINTER(_TraceData)]
        slot = (_TraceData * 1)()
        traced = np.zeros((len(x), n_traced), dtype=np.float64)
    for i in range(len(x)):
        fn(x[i], row)
        y[i] = row
        if n_traced:
            lib.collect_trace_output(slot)
            traced[i] = np.ctypeslib.as_array(
                ctypes.cast(slot[0].data, ctypes.POINTER(ctypes.c_double)), shape=(n_traced,)
            )
    np.save(yout, y)
    if n_traced:
        np.save(trace_args[1], traced)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
