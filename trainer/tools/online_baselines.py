#!/usr/bin/env python3
"""Online baselines on a MovieLens ratings stream in time order (what ./ctr demo replays).

Each rating is scored before its label is known, from the ratings before it only:
  item popularity   (pos_movie + k p) / (n_movie + k), p the positive rate so far
  user rate         (pos_user + k p) / (n_user + k)
  item + user       logit(item) + logit(user) - logit(p)
and, as a model frozen between retrainings would see it, item popularity as of the last
checkpoint (20%, 30%, ...) with the user rate kept online. AUC over the whole stream and over
the ratings after the first 20%. Label: rating >= 4. Needs numpy.

  python3 trainer/tools/online_baselines.py path/to/ml-100k
"""
import sys

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


def main(folder, k=10.0):
    rows = [tuple(map(int, line.split("\t"))) for line in open(folder + "/u.data")]
    rows.sort(key=lambda r: (r[3], r[0], r[1]))  # the replay's order: time, user, movie
    n = len(rows)
    first = int(0.2 * n)
    item, user, snapshot = {}, {}, {}
    positives, snapshot_prior, next_checkpoint = 0, 0.5, 0.2
    y, pop, rate, both, stale_both = [], [], [], [], []
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


if __name__ == "__main__":
    main(sys.argv[1])
