"""Writes quantile-numpy.json: expected outputs of scikit-learn's SimpleImputer(mean) +
QuantileTransformer(n_quantiles=1000, output_distribution="uniform") on two columns, computed
with NumPy by scikit-learn's own algorithm (np.nanpercentile, np.maximum.accumulate, the
forward/backward np.interp average, exact bounds). Regenerate: python3 quantile_numpy.py
"""
import json

import numpy as np

rng = np.random.default_rng(3)
ages = rng.choice([1, 18, 25, 35, 45, 50, 56], size=1500,
                  p=[.04, .18, .35, .2, .09, .08, .06]).astype(float)
ages[rng.random(1500) < 0.02] = np.nan  # missing ages, imputed with the mean
cont = np.round(rng.normal(40, 12, size=1200), 2)  # continuous, a few ties

out = {}
for name, col in [("ages", ages), ("continuous", cont)]:
    mean = np.nanmean(col)
    x = np.where(np.isnan(col), mean, col)
    n_q = max(1, min(1000, x.shape[0]))
    refs = np.linspace(0, 1, n_q, endpoint=True)
    q = np.maximum.accumulate(np.nanpercentile(x, refs * 100))
    probe = np.concatenate([np.unique(x)[:20], np.linspace(x.min() - 5, x.max() + 5, 41)])
    res = 0.5 * (np.interp(probe, q, refs) - np.interp(-probe, -q[::-1], -refs[::-1]))
    res[probe == q[-1]] = 1
    res[probe == q[0]] = 0
    out[name] = {
        "column": [None if np.isnan(v) else float(v) for v in col],
        "mean": float(mean),
        "quantiles": [float(v) for v in q],
        "probe": [float(v) for v in probe],
        "expected": [float(v) for v in res],
    }
with open("quantile-numpy.json", "w") as f:
    json.dump(out, f)
