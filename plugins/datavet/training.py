"""Deliberately small baselines for the example training DAGs (numpy only, no ML framework):
logistic regression on a table's numeric columns, and a nearest-centroid classifier on images,
each with figures per group."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd


def fit_baseline(df: pd.DataFrame, *, label: str, positive: str, group: str, epochs: int = 300,
                 seed: int = 0) -> dict:
    data = df.dropna(subset=[label])
    y = (data[label].astype("string").str.strip() == positive).to_numpy(dtype=float)
    numeric = data.select_dtypes("number")
    x = numeric.fillna(numeric.median()).to_numpy(dtype=float)
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) == 0, 1.0, x.std(axis=0))
    x = np.hstack([x, np.ones((len(x), 1))])
    rng = np.random.default_rng(seed)
    test = rng.random(len(x)) < 0.2
    w = np.zeros(x.shape[1])
    for _ in range(epochs):  # full-batch gradient descent: vectorised over rows
        p = 1.0 / (1.0 + np.exp(-x[~test] @ w))
        w -= 0.5 * x[~test].T @ (p - y[~test]) / (~test).sum()
    pred = (1.0 / (1.0 + np.exp(-x[test] @ w))) >= 0.5
    groups = data[group].astype("string").to_numpy()[test]
    rates = {str(g): float(pred[groups == g].mean()) for g in pd.unique(groups)}
    return {"rows": int(len(data)), "features": list(numeric.columns), "test_rows": int(test.sum()),
            "accuracy": float((pred == y[test].astype(bool)).mean()), "positive_prediction_rate": rates}


def fit_image_baseline(pairs: Iterable[tuple[Path, dict]], *, label: str, group: str, size: int = 8,
                       seed: int = 0, evaluate: Iterable[tuple[Path, dict]] | None = None) -> dict:
    """Nearest-centroid classifier on tiny grey-scale versions of the images (a stand-in for a real
    model), with accuracy per group: enough to show a training DAG reading only certified files.
    ``evaluate``: the files to measure on (a validation split); default a random 20 % of ``pairs``."""
    x, y, g = _image_arrays(pairs, label, group, size)
    if evaluate is None:
        test = np.random.default_rng(seed).random(len(x)) < 0.2
    else:
        ex, ey, eg = _image_arrays(evaluate, label, group, size)
        test = np.r_[np.zeros(len(x), dtype=bool), np.ones(len(ex), dtype=bool)]
        x, y, g = np.concatenate([x, ex]), np.concatenate([y, ey]), np.concatenate([g, eg])
    classes = sorted(set(y[~test]))
    centroids = np.stack([x[~test][y[~test] == c].mean(axis=0) for c in classes])
    pred = np.array(classes)[((x[test][:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)]
    correct = pred == y[test]
    return {"files": int(len(x)), "test_files": int(test.sum()), "label": label, "classes": classes,
            "accuracy": float(correct.mean()),
            "accuracy_by_group": {str(k): float(correct[g[test] == k].mean()) for k in sorted(set(g[test]))}}


def _image_arrays(pairs: Iterable[tuple[Path, dict]], label: str, group: str, size: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from PIL import Image

    xs, ys, gs = [], [], []
    for path, labels in pairs:
        if labels.get(label) is None:
            continue
        try:
            with Image.open(path) as img:
                pixels = np.asarray(img.convert("L").resize((size, size)), dtype=float).ravel() / 255.0
        except OSError:  # an unreadable file counted by the files check: not trained on
            continue
        xs.append(pixels)
        ys.append(str(labels[label]))
        gs.append(str(labels.get(group)))
    return np.array(xs).reshape(len(xs), size * size), np.array(ys), np.array(gs)
