"""fpga-nn: particle-physics trigger classifiers from training data to bit-exact FPGA firmware.

The sub-packages follow the pipeline:
``data`` -> ``models`` -> ``training`` -> ``convert`` -> ``verify`` -> ``hardware`` -> ``reports``,
with ``cli`` as a thin command-line layer on top and ``pipeline`` tying the stages together.
"""

import os

# QKeras 0.9 runs on Keras 2 (tf_keras): TensorFlow reads this once, at its first import, so it is set
# before anything can import TensorFlow. Keras 3 models (HGQ2, .keras files) use the `keras` package.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

__version__ = "0.1.0"
