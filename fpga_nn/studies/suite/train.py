"""Training of the suite's rows: boosted trees, and networks that keep their best-significance epoch."""

from __future__ import annotations

import os

import numpy as np

from ...reports import significance as sig
from ...yamlconfig import plain
from .config import SuiteConfig, epoch_budget
from .data import Prepared, background_floor, row_key, row_label, window_mask
from .devices import tensorflow_device


def _trees(cfg: SuiteConfig, row: dict, prep: Prepared, x: dict[str, np.ndarray]) -> tuple[object, dict]:
    method = row["method"]
    if method == "BDT":
        from sklearn.ensemble import AdaBoostClassifier
        from sklearn.tree import DecisionTreeClassifier

        c = cfg.bdt
        # TMVA's default BDT: AdaBoost of shallow trees
        model = AdaBoostClassifier(
            DecisionTreeClassifier(max_depth=c.max_depth, min_samples_leaf=0.025),
            n_estimators=c.n_estimators,
            learning_rate=c.learning_rate,
            random_state=cfg.training.seed,
        )
        model.fit(x["train"], prep.y["train"], sample_weight=prep.sample_weight["train"])
        return model, {"n_trees": len(model.estimators_)}
    import xgboost as xgb

    c = cfg.xgboost
    from ...training import backend

    gpu = bool(backend.accelerators())  # the Keras backend sees a GPU: the machine has one
    model = xgb.XGBClassifier(
        n_estimators=c.n_estimators,
        max_depth=c.max_depth,
        learning_rate=c.learning_rate,
        subsample=0.8,
        tree_method="hist",
        device="cuda" if gpu else "cpu",
        early_stopping_rounds=c.early_stopping,
        random_state=cfg.training.seed,
        n_jobs=os.cpu_count(),
    )
    model.fit(
        x["train"],
        prep.y["train"],
        sample_weight=prep.sample_weight["train"],
        eval_set=[(x["val"], prep.y["val"])],
        sample_weight_eval_set=[prep.sample_weight["val"]],
        verbose=False,
    )
    return model, {"best_iteration": int(model.best_iteration) + 1, "device": "cuda" if gpu else "cpu"}


def cut_direction(prep: Prepared, values: np.ndarray) -> tuple[float, dict]:
    """+1 when larger values of a Cut row's variable are more signal-like on the training split, else -1."""
    auc = sig.weighted_auc(values.astype(np.float64), prep.y["train"], prep.sample_weight["train"])
    sign = 1.0 if auc >= 0.5 else -1.0
    direction = "larger is signal-like" if sign > 0 else "smaller is signal-like"
    return sign, {"direction": direction, "train_auc": float(auc)}


def _tree_score(model, x):
    if hasattr(model, "decision_function") and not hasattr(model, "get_booster"):
        return model.decision_function(x)
    return model.predict(x, output_margin=True)


def build_network(cfg: SuiteConfig, row: dict, n_inputs: int):
    from ...models import reference as ref

    method = row["method"]
    if method == "ETN":
        e = cfg.etn
        return ref.etn(
            n_inputs,
            e.d_model,
            e.n_blocks,
            e.n_heads,
            name=row_key(row).replace("+", "_"),
        )
    widths = ref.FNN_WIDTHS if method == "FNN" else ref.DFNN_WIDTHS
    name = row_key(row).replace("+", "_")
    if row.get("firmware"):
        return ref.quantized_feed_forward(n_inputs, widths, name)
    return ref.feed_forward(n_inputs, widths, name)


def train_network(
    cfg: SuiteConfig,
    row: dict,
    prep: Prepared,
    x: dict[str, np.ndarray],
    progress: bool = True,
    seed: int | None = None,
):
    """Train with the row's loss and ``seed``; keep the epoch selected by ``training.select`` (the best
    validation AUC in the window, or the seed's best validation significance). Returns model, meta."""
    import importlib

    from ...training import backend
    from ...training.losses import make_loss
    from ...training.train import fit_keep_best, set_seeds

    t = cfg.training
    seed = int(t.seed if seed is None else seed)
    # the float rows are Keras 3 on its backend; the QKeras firmware rows tf_keras (TensorFlow)
    keras_name = "tf_keras" if row.get("firmware") else "keras"
    set_seeds(seed, keras3=keras_name == "keras")
    keras = importlib.import_module(keras_name)
    # mixed precision: true = on a GPU (where it helps), "always" = also on the CPU (to test that path)
    mp_setting = t.mixed_precision
    mixed = (
        row["method"] == "ETN"
        and keras_name == "keras"
        and (mp_setting == "always" or (bool(mp_setting) and bool(backend.accelerators())))
    )
    if mixed:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_network(cfg, row, x["train"].shape[1])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    lam = float(t.disco_lambda) if row.get("disco") else 0.0
    loss = make_loss(row.get("loss", "bce"), lam, keras_name)
    # the extreme loss is unbounded per event: its gradients are clipped
    clip = {"clipnorm": float(t.clipnorm)} if row.get("loss") == "extreme" and t.clipnorm else {}
    # XLA off on TensorFlow (as before: deterministic ops); JAX compiles every step (eager JAX is slow)
    jit = keras_name == "keras" and backend.current() == "jax"
    model.compile(optimizer=keras.optimizers.Adam(t.learning_rate, **clip), loss=loss, jit_compile=jit)
    y_train = np.stack([prep.y["train"], prep.mass["train"]], axis=1).astype(np.float32)
    y_val = np.stack([prep.y["val"], prep.mass["val"]], axis=1).astype(np.float32)
    win = window_mask(cfg, prep.mass["val"])
    select = t.select

    def val_score(m) -> float:
        score = m.predict(x["val"], batch_size=8192, verbose=0).reshape(-1).astype(np.float64)
        if select == "val_significance":
            floor = background_floor(prep.weight["val"], prep.y["val"], win)
            return sig.binned_significance(
                score[win], prep.y["val"][win], prep.weight["val"][win], cfg.significance.n_bins, floor
            )
        return sig.weighted_auc(score[win], prep.y["val"][win], prep.weight["val"][win])

    budget = epoch_budget(plain(cfg), row)
    patience = budget["patience"]
    res = fit_keep_best(
        model,
        x["train"],
        y_train,
        (x["val"], y_val) + ((prep.sample_weight["val"],) if "val" in prep.sample_weight else ()),
        sample_weight=prep.sample_weight.get("train"),
        epochs=int(budget["epochs"]),
        batch_size=int(t.batch_size),
        validation_batch_size=8192,
        score=val_score,
        score_name=select,
        patience=int(patience) if patience is not None else None,
        label=f"{row_label(row)} seed {seed}",
        progress=progress,
    )
    return model, {
        "best_epoch": res.best_epoch,
        "epochs_run": res.epochs_run,
        "history": res.history,
        "mixed_precision": mixed,
        "backend": backend.describe() if keras_name == "keras" else tensorflow_device(),
        "disco_lambda": lam,
        "seed": seed,
        "select": select,
    }
