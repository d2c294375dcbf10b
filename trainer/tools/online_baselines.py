#!/usr/bin/env python3
"""Online baselines on a MovieLens ratings stream in time order (what ./ctr demo replays).

Each rating is scored before its label is known, from the ratings before it only:
  item popularity   (pos_movie + k p) / (n_movie + k), p the positive rate so far
  user rate         (pos_user + k p) / (n_user + k)
  item + user       logit(item) + logit(user) - logit(p)
and, as a model frozen between retrainings would see it, item popularity as of the last
checkpoint (20%, 30%, ...) with the user rate kept online. AUC over the whole stream and over
the ratings after the first 20%. Label: rating >= 4.

Then the genre signal: the affinity of the rated movie's genres with the genres of the user's
history as the scorer keeps it (the last 10 ratings >= 4 before this one), each side a genre
distribution, their dot product. Logistic regressions on [item, user] and [item, user,
affinity] logits, fitted on the ratings from 20% to 60% and scored on the rest, show how much of
the label the history's genres explain beyond the two rates (the bundled sample plants a
drifting genre interest; on MovieLens it adds next to nothing). Needs numpy.

  python3 trainer/tools/online_baselines.py path/to/ml-100k
"""
import sys
from collections import deque

import numpy as np


def auc(y, s):
    y = np.asarray(y)
    s = np.asarray(s)
    _, inv, cnt = np.unique(s, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(cnt) - (cnt - 1) / 2.0)[inv]  # average ranks for ties
    pos = y.sum()
    neg = len(y) - pos
    return (ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg)


def logit(p):
    p = min(max(p, 1e-6), 1 - 1e-6)  # the first ratings can make the prior 0 or 1
    return np.log(p / (1 - p))


def genre_vectors(folder):
    """movie id -> its 19 genre flags as a distribution (u.item, latin-1)."""
    out = {}
    for line in open(folder + "/u.item", encoding="latin-1"):
        p = line.rstrip("\n").split("|")
        if len(p) >= 24:
            g = np.array([float(x) for x in p[5:24]])
            out[int(p[0])] = g / max(g.sum(), 1.0)
    return out


def logistic_auc(x, y, fit, test, steps=25):
    """AUC on rows `test` of a logistic regression (Newton's method) fitted on rows `fit`."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    mu, sd = x[fit].mean(0), x[fit].std(0) + 1e-9
    z = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z[fit] @ w))
        hessian = (z[fit] * (p * (1 - p))[:, None]).T @ z[fit] + 1e-6 * np.eye(len(w))
        w -= np.linalg.solve(hessian, z[fit].T @ (p - y[fit]))
    return auc(y[test], z[test] @ w)


def main(folder, k=10.0):
    rows = [tuple(map(int, line.split("\t"))) for line in open(folder + "/u.data")]
    rows.sort(key=lambda r: (r[3], r[0], r[1]))  # the replay's order: time, user, movie
    n = len(rows)
    first = int(0.2 * n)
    item, user, snapshot = {}, {}, {}
    positives, snapshot_prior, next_checkpoint = 0, 0.5, 0.2
    y, pop, rate, both, stale_both = [], [], [], [], []
    genres = genre_vectors(folder)
    history = {}  # user -> the last 10 movies rated >= 4, as the scorer keeps them
    affinity = []
    for i, (u, m, stars, _) in enumerate(rows):
        if i >= next_checkpoint * n:
            snapshot = {mm: list(v) for mm, v in item.items()}
            snapshot_prior = positives / i
            next_checkpoint += 0.1
        prior = 0.5 if i == 0 else positives / i
        a, b, c = item.get(m, [0, 0]), user.get(u, [0, 0]), snapshot.get(m, [0, 0])
        p_item = (a[0] + k * prior) / (a[1] + k)
        p_user = (b[0] + k * prior) / (b[1] + k)
        p_stale = (c[0] + k * snapshot_prior) / (c[1] + k)
        label = 1 if stars >= 4 else 0
        y.append(label)
        pop.append(p_item)
        rate.append(p_user)
        both.append(logit(p_item) + logit(p_user) - logit(prior))
        stale_both.append(logit(p_stale) + logit(p_user))
        h = history.setdefault(u, deque(maxlen=10))
        g = genres.get(m)
        if h and g is not None:
            taste = sum(genres.get(x, 0.0) for x in h)
            affinity.append(float(np.dot(taste / max(np.sum(taste), 1e-9), g)))
        else:
            affinity.append(0.0)
        if stars >= 4:
            h.append(m)
        item.setdefault(m, [0, 0])
        item[m][0] += label
        item[m][1] += 1
        user.setdefault(u, [0, 0])
        user[u][0] += label
        user[u][1] += 1
        positives += label
    for name, s in [("item popularity", pop), ("user rate", rate), ("item + user", both),
                    ("checkpoint item + online user", stale_both)]:
        print(f"{name:32s} all {auc(y, s):.4f}   after 20% {auc(y[first:], s[first:]):.4f}")
    print(f"{'history genre affinity':32s} all {auc(y, affinity):.4f}   "
          f"after 20% {auc(y[first:], affinity[first:]):.4f}")
    fit, test = slice(first, int(0.6 * n)), slice(int(0.6 * n), n)
    rates = [[logit(a), logit(b)] for a, b in zip(pop, rate)]
    with_genres = [r + [a] for r, a in zip(rates, affinity)]
    print("logistic regression fitted on 20-60%, AUC on 60-100%:")
    print(f"  {'item + user':30s} {logistic_auc(rates, y, fit, test):.4f}")
    print(f"  {'item + user + genre affinity':30s} {logistic_auc(with_genres, y, fit, test):.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
