"""Training of the suite's rows: boosted trees, and networks that keep their best-significance epoch."""

from __future__ import annotations

import os

import numpy as np

from ..reports import significance as sig
from .devices import device_info
from .suite_data import Prepared, row_key, row_label, window_mask


def _trees(cfg: dict, row: dict, prep: Prepared) -> tuple[object, dict]:
    method = row["method"]
    if method == "BDT":
        from sklearn.ensemble import AdaBoostClassifier
        from sklearn.tree import DecisionTreeClassifier

        c = cfg.get("bdt", {})
        # TMVA's default BDT: AdaBoost of shallow trees
        model = AdaBoostClassifier(
            DecisionTreeClassifier(max_depth=c.get("max_depth", 3), min_samples_leaf=0.025),
            n_estimators=c.get("n_estimators", 400),
            learning_rate=c.get("learning_rate", 0.5),
            random_state=cfg["training"]["seed"],
        )
        model.fit(prep.x["train"], prep.y["train"])
        return model, {"n_trees": len(model.estimators_)}
    import xgboost as xgb

    c = cfg.get("xgboost", {})
    gpu = bool(device_info()["gpu"])
    model = xgb.XGBClassifier(
        n_estimators=c.get("n_estimators", 1000),
        max_depth=c.get("max_depth", 5),
        learning_rate=c.get("learning_rate", 0.05),
        subsample=0.8,
        tree_method="hist",
        device="cuda" if gpu else "cpu",
        early_stopping_rounds=c.get("early_stopping", 30),
        random_state=cfg["training"]["seed"],
        n_jobs=os.cpu_count(),
    )
    model.fit(prep.x["train"], prep.y["train"], eval_set=[(prep.x["val"], prep.y["val"])], verbose=False)
    return model, {"best_iteration": int(model.best_iteration) + 1}


def _tree_score(model, x):
    if hasattr(model, "decision_function") and not hasattr(model, "get_booster"):
        return model.decision_function(x)
    return model.predict(x, output_margin=True)


def build_network(cfg: dict, row: dict, n_inputs: int):
    from ..models import reference as ref

    method = row["method"]
    if method == "ETN":
        e = cfg.get("etn", {})
        return ref.etn(
            n_inputs,
            e.get("d_model", 32),
            e.get("n_blocks", 2),
            e.get("n_heads", 4),
            name=row_key(row).replace("+", "_"),
        )
    widths = ref.FNN_WIDTHS if method == "FNN" else ref.DFNN_WIDTHS
    name = row_key(row).replace("+", "_")
    if row.get("firmware"):
        return ref.quantized_feed_forward(n_inputs, widths, name)
    return ref.feed_forward(n_inputs, widths, name)


def train_network(cfg: dict, row: dict, prep: Prepared, x: dict[str, np.ndarray], progress: bool = True):
    """Train with the row's loss; keep the epoch of highest validation significance. Returns model, meta."""
    import tensorflow as tf

    from ..training.losses import make_loss
    from ..training.train import fit_keep_best, set_seeds

    t = cfg["training"]
    set_seeds(t["seed"])
    gpu = bool(tf.config.list_physical_devices("GPU"))
    # mixed precision: true = on a GPU (where it helps), "always" = also on the CPU (to test that path)
    mp_setting = t.get("mixed_precision", True)
    mixed = (
        row["method"] == "ETN" and not row.get("firmware") and (mp_setting == "always" or (bool(mp_setting) and gpu))
    )
    if mixed:
        tf.keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_network(cfg, row, x["train"].shape[1])
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")
    lam = float(t.get("disco_lambda", 1.0)) if row.get("disco") else 0.0
    loss = make_loss(row.get("loss", "bce"), lam)
    model.compile(optimizer=tf.keras.optimizers.Adam(t["learning_rate"]), loss=loss, jit_compile=False)
    y_train = np.stack([prep.y["train"], prep.mass["train"]], axis=1).astype(np.float32)
    y_val = np.stack([prep.y["val"], prep.mass["val"]], axis=1).astype(np.float32)
    # DisCo needs enough background per batch for a stable distance correlation
    win = window_mask(cfg, prep.mass["val"])
    min_b = float(prep.weight["val"][prep.y["val"] == 0].min())

    def val_significance(m) -> float:
        score = m.predict(x["val"], batch_size=8192, verbose=0).reshape(-1).astype(np.float64)
        return sig.binned_significance(
            score[win], prep.y["val"][win], prep.weight["val"][win], cfg["significance"]["n_bins"], min_b
        )

    res = fit_keep_best(
        model,
        x["train"],
        y_train,
        (x["val"], y_val),
        epochs=int(cfg.get(row["method"].lower(), {}).get("epochs", t["epochs"])),
        batch_size=int(t["batch_size"]),
        validation_batch_size=8192,
        score=val_significance,
        score_name="val_significance",
        patience=int(t["patience"]) if t.get("patience") is not None else None,
        label=row_label(row),
        progress=progress,
    )
    return model, {
        "best_epoch": res.best_epoch,
        "epochs_run": res.epochs_run,
        "history": res.history,
        "mixed_precision": mixed,
        "disco_lambda": lam,
    }
