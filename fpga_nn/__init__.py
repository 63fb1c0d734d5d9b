"""fpga-nn: particle-physics trigger classifiers from training data to bit-exact FPGA firmware.

The sub-packages follow the pipeline:
``data`` -> ``models`` -> ``training`` -> ``frontends`` -> ``convert`` -> ``verify`` -> ``hardware`` ->
``reports`` (``layers`` and ``fixed`` below them, read by all), then ``build`` (one model to a verified
project), ``scan`` (design-space scans and building a scanned point) and ``studies`` (one folder per
study: suite, llp, cnn, events, tracking) on top, and ``cli`` one thin module per subcommand.
"""

import os

# QKeras 0.9 runs on Keras 2 (tf_keras): TensorFlow reads this once, at its first import, so it is set
# before anything can import TensorFlow. Keras 3 models (HGQ2, .keras files) use the `keras` package.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

__version__ = "0.1.0"
