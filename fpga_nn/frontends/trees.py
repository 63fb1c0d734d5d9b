"""Tree ensembles in front of the firmware: XGBoost and scikit-learn models read into one neutral form.

Accepted (binary classifiers and single-output regressors; the score is the margin, the log-odds a
classifier thresholds):

* XGBoost: ``.json`` / ``.ubj`` model files (``save_model``), or an ``XGBClassifier`` / ``XGBRegressor`` /
  ``Booster`` object; gbtree boosters with numerical splits. A file that records ``best_iteration``
  (early stopping) keeps its first ``best_iteration + 1`` trees, as ``XGBClassifier.predict`` does.
* scikit-learn (a pickle, ``.pkl``, or the object): ``GradientBoostingClassifier/Regressor``,
  ``RandomForestClassifier/Regressor`` (the mean of the trees' class-1 fractions), ``AdaBoostClassifier``
  (SAMME: each tree votes +-2x its weight, normalised by the weights' sum, as ``decision_function``).

Every tree becomes arrays ``feature`` (-1 at leaves), ``threshold``, ``left``, ``right`` (-1 at leaves)
and ``value`` (the leaf's contribution to the margin, learning rate and normalisation folded in), plus
the ensemble's ``base`` margin and split convention (XGBoost ``x < t``, scikit-learn ``x <= t``). Both
libraries compare the input cast to float32. Anything else is refused in one line that names it.
"""

from __future__ import annotations

import json
import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError, UserInputError

SUFFIXES = (".json", ".ubj", ".pkl", ".pickle")


@dataclass(frozen=True)
class Tree:
    feature: np.ndarray  # int64, -1 at leaves
    threshold: np.ndarray  # float64 (the library's own value)
    left: np.ndarray  # int64, -1 at leaves
    right: np.ndarray
    value: np.ndarray  # float64: the leaf's contribution to the margin (0 at split nodes)

    @property
    def depth(self) -> int:
        depth, stack = 0, [(0, 0)]
        while stack:
            node, d = stack.pop()
            depth = max(depth, d)
            if self.left[node] >= 0:
                stack += [(int(self.left[node]), d + 1), (int(self.right[node]), d + 1)]
        return depth


@dataclass(frozen=True)
class Ensemble:
    trees: tuple[Tree, ...]
    n_features: int
    base: float  # margin before the first tree
    convention: str  # "<" (XGBoost) or "<=" (scikit-learn): go left when x CONV threshold
    library: str  # e.g. "xgboost 3.2.0, binary:logistic"
    notes: tuple[str, ...] = field(default=())

    @property
    def max_depth(self) -> int:
        return max(t.depth for t in self.trees)

    def margin(self, x: np.ndarray) -> np.ndarray:
        """The float margin as the library computes it: inputs cast to float32, float64 sums."""
        x = np.asarray(x, dtype=np.float32).astype(np.float64)
        total = np.full(len(x), self.base)
        for t in self.trees:
            total += t.value[leaf_index(t, x, self.convention)]
        return total


def walk(feature: np.ndarray, left: np.ndarray, right: np.ndarray, x: np.ndarray, go_left) -> np.ndarray:
    """The leaf every event of ``x`` reaches in one tree (vectorised over events, one level per step);
    ``go_left(values, nodes)`` is the split test of the events at their nodes (floats or integer codes)."""
    node = np.zeros(len(x), dtype=np.int64)
    rows = np.arange(len(x))
    while True:
        inner = left[node] >= 0
        if not inner.any():
            return node
        v = x[rows, np.where(inner, feature[node], 0)]
        node = np.where(inner, np.where(go_left(v, node), left[node], right[node]), node)


def leaf_index(tree: Tree, x: np.ndarray, convention: str) -> np.ndarray:
    """The leaf every event of ``x`` reaches with the library's own test (``x < t`` or ``x <= t``)."""
    thr = tree.threshold
    test = (lambda v, n: v < thr[n]) if convention == "<" else (lambda v, n: v <= thr[n])
    return walk(tree.feature, tree.left, tree.right, x, test)


def is_tree_model(path: str | Path) -> bool:
    """A file this frontend reads: a pickle, an XGBoost UBJ file, or XGBoost JSON (a 'learner' key)."""
    path = Path(path)
    if path.suffix in (".pkl", ".pickle", ".ubj"):
        return True
    if path.suffix == ".json" and path.is_file():
        with open(path, "rb") as f:
            head = f.read(4096)
        return b'"learner"' in head
    return False


def load(path: str | Path) -> tuple[Ensemble, object]:
    """(ensemble, the library's model object) from a model file."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"model file {path} not found")
    if path.suffix in (".json", ".ubj"):
        import xgboost as xgb

        booster = xgb.Booster()
        try:
            booster.load_model(str(path))
        except xgb.core.XGBoostError as exc:
            first = str(exc).strip().splitlines()[0][:160]
            raise UserInputError(f"{path} is not an XGBoost model XGBoost can read ({first})") from None
        return from_model(booster, str(path)), booster
    if path.suffix in (".pkl", ".pickle"):
        try:
            with open(path, "rb") as f:
                obj = pickle.load(f)  # noqa: S301 - the user's own model file (docs/trees.md says so)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure is the file's
            raise UserInputError(f"{path} could not be unpickled ({type(exc).__name__}: {exc})") from None
        return from_model(obj, str(path)), obj
    raise UserInputError(f"{path}: a tree model is an XGBoost .json/.ubj file or a scikit-learn .pkl")


def from_model(obj, where: str = "the model") -> Ensemble:
    """The ensemble of an XGBoost or scikit-learn model object."""
    kind = type(obj).__name__
    module = type(obj).__module__.split(".")[0]
    if module == "xgboost":
        booster = obj.get_booster() if hasattr(obj, "get_booster") else obj
        return _xgboost(booster, where)
    if module == "sklearn":
        if kind.startswith("GradientBoosting"):
            return _sklearn_gb(obj, where)
        if kind.startswith("RandomForest") or kind.startswith("ExtraTrees"):
            return _sklearn_forest(obj, where)
        if kind == "AdaBoostClassifier":
            return _sklearn_adaboost(obj, where)
    raise UnsupportedModelError(
        f"{where} is a {module}.{kind}: fpga-nn builds XGBoost models and scikit-learn GradientBoosting, "
        "RandomForest/ExtraTrees and AdaBoost classifiers or regressors (docs/trees.md)"
    )


# ------------------------------------------------------------------------------------------------- XGBoost
def _xgboost(booster, where: str) -> Ensemble:
    import xgboost as xgb

    model = json.loads(booster.save_raw("json").decode())
    learner = model["learner"]
    gb = learner["gradient_booster"]
    objective = learner["objective"]["name"]
    if gb.get("name") != "gbtree":
        raise UnsupportedModelError(f"{where}: booster '{gb.get('name')}': fpga-nn builds gbtree boosters only")
    param = learner["learner_model_param"]
    if int(param.get("num_class", "0")) > 1 or int(param.get("num_target", "1")) > 1:
        raise UnsupportedModelError(
            f"{where}: {param.get('num_class')} classes / {param.get('num_target', 1)} targets: fpga-nn builds "
            "binary classifiers and single-output regressors (one score per event)"
        )
    logistic = objective in ("binary:logistic", "reg:logistic", "binary:logitraw")
    if not logistic and not objective.startswith("reg:"):
        raise UnsupportedModelError(
            f"{where}: objective '{objective}' (one margin per event is built: binary:*, reg:*)"
        )
    base_score = float(param["base_score"].strip("[]").split(",")[0])
    if objective in ("binary:logistic", "reg:logistic"):
        base = math.log(base_score / (1.0 - base_score))
    else:
        base = base_score
    trees = gb["model"]["trees"]
    notes = []
    best = (learner.get("attributes") or {}).get("best_iteration")
    if best is not None and int(best) + 1 < len(trees):
        notes.append(
            f"the model records best_iteration {best} (early stopping): the firmware holds its first "
            f"{int(best) + 1} of {len(trees)} trees, as XGBClassifier.predict uses"
        )
        trees = trees[: int(best) + 1]
    out = []
    for k, t in enumerate(trees):
        if any(t.get("split_type", [])) or t.get("categories"):
            raise UnsupportedModelError(f"{where}: tree {k} has categorical splits: fpga-nn builds numerical splits")
        left = np.asarray(t["left_children"], dtype=np.int64)
        right = np.asarray(t["right_children"], dtype=np.int64)
        leaf = left < 0
        cond = np.asarray(t["split_conditions"], dtype=np.float32).astype(np.float64)  # XGBoost keeps float32
        out.append(
            Tree(
                feature=np.where(leaf, -1, np.asarray(t["split_indices"], dtype=np.int64)),
                threshold=np.where(leaf, 0.0, cond),
                left=np.where(leaf, -1, left),
                right=np.where(leaf, -1, right),
                value=np.where(leaf, cond, 0.0),  # a leaf's split_condition is its value
            )
        )
    if not out:
        raise UnsupportedModelError(f"{where}: the model has no trees")
    return Ensemble(
        tuple(out), int(param["num_feature"]), base, "<", f"xgboost {xgb.__version__}, {objective}", tuple(notes)
    )


def xgboost_margin(booster, x: np.ndarray, ensemble: Ensemble) -> np.ndarray:
    """XGBoost's own margin on ``x``, over the trees the ensemble holds."""
    import xgboost as xgb

    booster = booster.get_booster() if hasattr(booster, "get_booster") else booster
    dm = xgb.DMatrix(np.asarray(x, np.float32))
    out = booster.predict(dm, output_margin=True, iteration_range=(0, len(ensemble.trees)))
    return np.asarray(out, dtype=np.float64).reshape(len(x))


# ------------------------------------------------------------------------------------------------ scikit-learn
def _sk_tree(tree, value: np.ndarray) -> Tree:
    leaf = tree.children_left < 0
    return Tree(
        feature=np.where(leaf, -1, tree.feature).astype(np.int64),
        threshold=np.where(leaf, 0.0, tree.threshold).astype(np.float64),
        left=np.where(leaf, -1, tree.children_left).astype(np.int64),
        right=np.where(leaf, -1, tree.children_right).astype(np.int64),
        value=np.where(leaf, value, 0.0).astype(np.float64),
    )


def _binary(obj, where: str) -> None:
    classes = getattr(obj, "classes_", None)
    if classes is not None and (np.ndim(classes) != 1 or len(classes) != 2):
        raise UnsupportedModelError(f"{where}: {len(classes)} classes: fpga-nn builds binary classifiers (one score)")
    if getattr(obj, "n_outputs_", 1) != 1:
        raise UnsupportedModelError(f"{where}: {obj.n_outputs_} outputs: fpga-nn builds one score per event")


def _library(obj) -> str:
    import sklearn

    return f"scikit-learn {sklearn.__version__}, {type(obj).__name__}"


def _sklearn_gb(obj, where: str) -> Ensemble:
    _binary(obj, where)
    if obj.estimators_.shape[1] != 1:
        raise UnsupportedModelError(f"{where}: {obj.estimators_.shape[1]} trees per stage: binary classifiers only")
    base = float(obj._raw_predict_init(np.zeros((1, obj.n_features_in_), dtype=np.float32))[0, 0])
    trees = tuple(_sk_tree(e.tree_, e.tree_.value[:, 0, 0] * obj.learning_rate) for e in obj.estimators_[:, 0])
    return Ensemble(trees, int(obj.n_features_in_), base, "<=", _library(obj))


def _sklearn_forest(obj, where: str) -> Ensemble:
    _binary(obj, where)
    n = len(obj.estimators_)
    classifier = hasattr(obj, "classes_")
    trees = []
    for e in obj.estimators_:
        v = e.tree_.value[:, 0, :]
        leaf_value = (v[:, 1] / v.sum(axis=1)) if classifier else v[:, 0]  # class-1 fraction, or the mean
        trees.append(_sk_tree(e.tree_, leaf_value / n))
    return Ensemble(tuple(trees), int(obj.n_features_in_), 0.0, "<=", _library(obj))


def _sklearn_adaboost(obj, where: str) -> Ensemble:
    _binary(obj, where)
    if getattr(obj, "algorithm", "SAMME") not in ("SAMME", "deprecated"):
        raise UnsupportedModelError(f"{where}: AdaBoost algorithm '{obj.algorithm}': SAMME is built")
    weights = np.asarray(obj.estimator_weights_[: len(obj.estimators_)], dtype=np.float64)
    norm = float(np.sum(obj.estimator_weights_))  # decision_function divides by every weight's sum
    trees = []
    for e, w in zip(obj.estimators_, weights, strict=True):
        v = e.tree_.value[:, 0, :]
        vote = np.where(np.argmax(v, axis=1) == 1, 1.0, -1.0)  # the tree's class at the leaf: +-1
        # binary SAMME: each tree adds +-w for class 1 and -+w for class 0, the sum divided by sum(w)
        trees.append(_sk_tree(e.tree_, 2.0 * vote * w / norm))
    return Ensemble(tuple(trees), int(obj.n_features_in_), 0.0, "<=", _library(obj))


def library_margin(obj, x: np.ndarray, ensemble: Ensemble) -> np.ndarray:
    """The library's own score on ``x``: XGBoost's margin, or scikit-learn's decision_function / the class-1
    probability of a forest / predict of a regressor."""
    module = type(obj).__module__.split(".")[0]
    if module == "xgboost":
        return xgboost_margin(obj, x, ensemble)
    x32 = np.asarray(x, dtype=np.float32)
    name = type(obj).__name__
    if name.startswith(("RandomForest", "ExtraTrees")) and hasattr(obj, "predict_proba"):
        return obj.predict_proba(x32)[:, 1].astype(np.float64)
    if hasattr(obj, "decision_function"):
        return np.asarray(obj.decision_function(x32), dtype=np.float64).reshape(len(x))
    return np.asarray(obj.predict(x32), dtype=np.float64).reshape(len(x))
