"""``fpga-nn compare A B``: are two input sets of the same events the same inputs? (seed 001)

The seed's tracking DNN was trained on features computed in one framework and run on features
computed in another; ROC curves looked alike while the cut, chosen on the training side, removed
almost every candidate on the inference side. This compares, per feature, the fraction of events
that differ beyond a tolerance, the largest difference, and the median ratio B / A with a hint when
it matches a common slip (a unit factor 10, 100 or 1000, log10 against ln); with a model, the
scores on A and on B, and the efficiency on B of the cut chosen on A, per category.

Input files: ``.npy`` (events x features; names from ``--names``), ``.npz`` or ``.h5`` of 1-D arrays
(one per feature, the names are the keys), ``.csv`` with a header row.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..errors import UserInputError, first_line
from .plots import save_figure

HINTS = {  # ratio B / A -> the likely slip
    10.0: "B = 10 x A: a unit change (cm -> mm)?",
    0.1: "B = A / 10: a unit change (mm -> cm)?",
    100.0: "B = 100 x A: a unit change (m -> cm)?",
    0.01: "B = A / 100: a unit change (cm -> m)?",
    1000.0: "B = 1000 x A: a unit change (m -> mm, GeV -> MeV)?",
    0.001: "B = A / 1000: a unit change (mm -> m, MeV -> GeV)?",
    float(np.log(10)): "B = ln(10) x A: ln where A has log10?",
    float(1 / np.log(10)): "B = A / ln(10): log10 where A has ln?",
}


@dataclasses.dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-6
    atol: float = 0.0
    max_fraction: float = 0.0  # of events allowed to differ in any one feature


def check_options(rtol: float, atol: float, max_fraction: float, working_point: float) -> None:
    """Tolerances finite and >= 0, fractions inside their range: else one line naming the option."""
    for flag, value, ok, allowed in (
        ("--rtol", rtol, np.isfinite(rtol) and rtol >= 0, "a finite number >= 0"),
        ("--atol", atol, np.isfinite(atol) and atol >= 0, "a finite number >= 0"),
        ("--max-fraction", max_fraction, 0 <= max_fraction <= 1, "a fraction in [0, 1]"),
        ("--working-point", working_point, 0 < working_point < 1, "a background efficiency in (0, 1)"),
    ):
        if not ok:
            raise UserInputError(f"{flag} {value} must be {allowed}")


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    """A CSV with a header row; every cell a number (nan and inf allowed), else one line naming the cell."""
    import csv

    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise UserInputError(f"{path} is empty: give a header row of feature names, then one row per event")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    values = np.empty((len(body), len(header)))
    for i, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise UserInputError(f"{path} line {i} has {len(row)} cells, the header {len(header)}: one per feature")
        for k, cell in enumerate(row):
            try:
                values[i - 2, k] = float(cell)
            except ValueError:
                raise UserInputError(
                    f"{path} line {i}, column '{header[k]}': '{cell}' is not a number: fix the cell (nan is allowed)"
                ) from None
    return {h: values[:, k] for k, h in enumerate(header)}


def _read_archive(path: Path, suffix: str) -> dict:
    import zipfile

    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        import h5py

        with h5py.File(path, "r") as f:
            return {k: f[k][...] for k in f if isinstance(f[k], h5py.Dataset)}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise UserInputError(
            f"{path} cannot be read as {suffix} ({first_line(exc)}): give numeric 1-D arrays, one per feature"
        ) from None


def load_table(path: Path, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Named 1-D float arrays (one per feature) from .npy / .npz / .h5 / .csv."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"input file {path} not found: pass two files holding the same events' features")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        from ..data.validate import load_npy

        x = load_npy(path)
        x = x.reshape(len(x), -1) if x.ndim > 1 else x[:, None]
        cols = names or [f"feature_{k}" for k in range(x.shape[1])]
        if len(cols) != x.shape[1]:
            raise UserInputError(f"{path} has {x.shape[1]} features but --names gives {len(cols)}: give one per column")
        table = {c: x[:, k] for k, c in enumerate(cols)}
    elif suffix in (".npz", ".h5", ".hdf5"):
        table = _read_archive(path, suffix)
    elif suffix == ".csv":
        table = _read_csv(path)
    else:
        raise UserInputError(f"{path}: unknown file type '{suffix}': use .npy (+ --names), .npz, .h5 or .csv")
    out = {}
    for k, v in table.items():
        v = np.asarray(v)
        if v.ndim != 1 or v.dtype.kind not in "iuf":
            raise UserInputError(
                f"{path}: '{k}' is not a 1-D numeric array (shape {v.shape}, {v.dtype}): one column per feature"
            )
        out[k] = v.astype(np.float64)
    if not out:
        raise UserInputError(f"{path} holds no feature arrays")
    lengths = {k: len(v) for k, v in out.items()}
    if len(set(lengths.values())) > 1:
        raise UserInputError(
            f"{path}: the features hold different numbers of events "
            f"({', '.join(f'{k} {n}' for k, n in lengths.items())}): one value per event in every feature"
        )
    return out


def _hint(ratio: float) -> str | None:
    if not np.isfinite(ratio) or ratio <= 0:
        return None
    for value, text in HINTS.items():
        if abs(np.log(ratio / value)) < 0.01:
            return text
    return None


def compare_features(a: dict, b: dict, tol: Tolerance) -> list[dict]:
    """One record per feature (A's order): events differing, largest difference, ratio and hint."""
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a or only_b:
        raise UserInputError(
            f"the files name different features (only in A: {only_a or '-'}; only in B: {only_b or '-'}): "
            "compare the same features (rename with --names)"
        )
    n_a, n_b = len(next(iter(a.values()))), len(next(iter(b.values())))
    if n_a != n_b:
        raise UserInputError(f"A has {n_a} events and B {n_b}: compare needs the same events in the same order")
    rows = []
    for name in a:
        x, y = a[name], b[name]
        same = (x == y) | (np.isnan(x) & np.isnan(y))  # +inf equals +inf; NaN on both sides agrees
        with np.errstate(invalid="ignore"):
            diff = np.where(same, 0.0, np.abs(x - y))
            close = np.isfinite(x) & np.isfinite(y) & (diff <= tol.atol + tol.rtol * np.abs(x))
            bad = ~same & ~close  # NaN or an infinity on one side only differs
        nz = (x != 0) & np.isfinite(x) & np.isfinite(y)
        ratio = float(np.median(y[nz] / x[nz])) if nz.any() else float("nan")
        rows.append(
            {
                "feature": name,
                "events": int(len(x)),
                "differing": int(bad.sum()),
                "fraction": float(bad.mean()),
                "max_abs_diff": float(np.nanmax(np.where(np.isnan(diff), np.inf, diff))) if len(x) else 0.0,
                "median_ratio_b_over_a": ratio,
                "hint": _hint(ratio) if bad.any() else None,
                "ok": bool(bad.mean() <= tol.max_fraction),
            }
        )
    return rows


def compare_scores(model, a: dict, b: dict, labels, category, bins, working_point: float):
    """The model on A and on B: score differences, AUCs, and the efficiency on B of the cut chosen on A
    (at ``working_point`` background efficiency), per category."""
    from .metrics import auc, signal_efficiency_at

    order = [n for n in a]
    xa = np.stack([a[n] for n in order], axis=1).astype(np.float32)
    xb = np.stack([b[n] for n in order], axis=1).astype(np.float32)
    want = model.input_shape[1:]
    if tuple(want) != (xa.shape[1],):
        raise UserInputError(f"the model takes inputs of shape {tuple(want)} but the files hold {xa.shape[1]} features")
    sa = model.predict(xa, batch_size=8192, verbose=0).reshape(len(xa), -1)[:, -1].astype(np.float64)
    sb = model.predict(xb, batch_size=8192, verbose=0).reshape(len(xb), -1)[:, -1].astype(np.float64)
    out = {
        "score_max_abs_diff": float(np.max(np.abs(sa - sb))),
        "score_fraction_differing": float(np.mean(sa != sb)),
    }
    if labels is None:
        return out
    y = np.asarray(labels).astype(bool)
    wp = signal_efficiency_at(y, sa, working_point)
    cut = wp["threshold"]
    out.update(
        auc_a=auc(y, sa),
        auc_b=auc(y, sb),
        working_point={"background_efficiency_on_a": wp["background_efficiency"], "threshold": cut},
        categories=[],
    )
    cat = a[category] if category else np.zeros(len(y))
    edges = bins if category else [-np.inf, np.inf]
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (cat >= lo) & (cat < hi)
        sig, bkg = m & y, m & ~y
        out["categories"].append(
            {
                "range": [float(lo), float(hi)],
                "signal": int(sig.sum()),
                "signal_efficiency_a": float(np.mean(sa[sig] >= cut)) if sig.any() else None,
                "signal_efficiency_b": float(np.mean(sb[sig] >= cut)) if sig.any() else None,
                "background_efficiency_a": float(np.mean(sa[bkg] >= cut)) if bkg.any() else None,
                "background_efficiency_b": float(np.mean(sb[bkg] >= cut)) if bkg.any() else None,
            }
        )
    return out


def histograms(a: dict, b: dict, rows: list[dict], path: Path) -> None:
    from .plots import _plt

    plt = _plt()
    n = len(rows)
    cols = min(4, n)
    fig, axes = plt.subplots(-(-n // cols), cols, figsize=(3.6 * cols, 2.8 * -(-n // cols)), squeeze=False)
    for ax, r in zip(axes.ravel(), rows, strict=False):
        x, y = a[r["feature"]], b[r["feature"]]
        finite = np.concatenate([x[np.isfinite(x)], y[np.isfinite(y)]])
        edges = np.histogram_bin_edges(finite, bins=50) if len(finite) else 10
        ax.hist(x[np.isfinite(x)], bins=edges, histtype="step", label="A")
        ax.hist(y[np.isfinite(y)], bins=edges, histtype="step", linestyle="--", label="B")
        ax.set_title(
            f"{r['feature']}: {100 * r['fraction']:.2f} % differ", fontsize=8, color="black" if r["ok"] else "red"
        )
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path, 110)
    plt.close(fig)
