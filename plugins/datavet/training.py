"""A deliberately small baseline for the example training DAG (numpy only, no ML framework):
logistic regression on the numeric columns, with per-group positive-prediction rates."""

from __future__ import annotations

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
