"""fpga-nn: particle-physics trigger classifiers from training data to bit-exact FPGA firmware.

The sub-packages follow the pipeline:
``data`` -> ``models`` -> ``training`` -> ``convert`` -> ``verify`` -> ``hardware`` -> ``reports``,
with ``cli`` as a thin command-line layer on top and ``pipeline`` tying the stages together.
"""

__version__ = "0.1.0"
