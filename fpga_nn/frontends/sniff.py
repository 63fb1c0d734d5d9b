"""What family a model file belongs to, read from the file alone (no TensorFlow, no Keras).

* ``keras3``: a ``.keras`` archive whose ``metadata.json`` names Keras 3 (HGQ2 models, any Keras 3
  model);
* ``qkeras_v3``: a ``.keras`` archive of qkeras-v3 layers (QKeras ported to Keras 3);
* ``hgq_proxy``: a Keras 2 ``.h5``/JSON holding HGQ v1's ``FixedPointQuantizer`` layers (HGQ proxy models);
* ``trees``: an XGBoost model file (``.json`` with a ``learner``, ``.ubj``) or a pickle (scikit-learn tree
  ensembles): conifer firmware (frontends/trees.py);
* ``keras2``: everything else Keras 2 reads (QKeras 0.9 and plain tf_keras models).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

FAMILIES = ("keras2", "keras3", "qkeras_v3", "hgq_proxy", "trees")


def _h5_config(path: Path) -> str:
    try:
        import h5py

        with h5py.File(path, "r") as f:
            text = f.attrs.get("model_config")
    except OSError:
        return ""
    if text is None:
        return ""
    return text if isinstance(text, str) else text.decode(errors="replace")


def family(path: str | Path) -> tuple[str, str]:
    """(family, what was seen) for a model file."""
    from .trees import is_tree_model

    path = Path(path)
    if is_tree_model(path):
        return "trees", "a tree ensemble (XGBoost or scikit-learn)"
    if path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as z:
                meta = json.loads(z.read("metadata.json")) if "metadata.json" in z.namelist() else {}
                config = z.read("config.json").decode(errors="replace") if "config.json" in z.namelist() else ""
        except (zipfile.BadZipFile, ValueError, KeyError):
            return "keras2", "an unreadable archive"
        version = str(meta.get("keras_version", ""))
        if '"module": "qkeras' in config:
            return "qkeras_v3", f"a Keras {version or '3'} file with qkeras-v3 layers"
        if version.startswith("3") or '"module": "hgq' in config or '"module": "keras.' in config:
            layers = "HGQ2 layers" if '"module": "hgq' in config else "Keras 3 layers"
            return "keras3", f"a Keras {version or '3'} file with {layers}"
        return "keras2", f"a Keras {version or '2'} archive"
    text = ""
    if path.suffix in (".h5", ".hdf5") and path.is_file():
        text = _h5_config(path)
    elif path.suffix == ".json" and path.is_file():
        text = path.read_text(errors="replace")
    if "FixedPointQuantizer" in text:
        return "hgq_proxy", "an HGQ proxy model (FixedPointQuantizer layers)"
    return "keras2", "a Keras 2 model"
