#!/usr/bin/env python3
"""Every rating of a MovieLens-format folder as a row of the reference CSV format, with the
features the scorer serves at that moment: history = the user's last 10 ratings >= 4 before it
(oldest first), negatives = as many random movies the user has not rated yet. The ratings are
taken in the replay's order (time, user, movie); those from FROM to SPLIT (fractions of the
stream) go to OUT/train.csv, the rest to OUT/test.csv. Unlike `./ctr movielens-split` (one row
per user, users split 80/20), this is the streaming setting of `./ctr demo`, offline:

  python3 trainer/tools/stream_split.py data/sample runs/sample-stream 0.2 0.6
  ./ctr experiment --train runs/sample-stream/train.csv --test runs/sample-stream/test.csv \\
      --seed 1 --epochs 15 [--history-affinity]

Standard library only; deterministic (negatives drawn with seed 1).
"""
import csv
import os
import random
import sys
from collections import defaultdict, deque

HEADER = ("userId,movieId,ratting,timestamp,last,histHighRatedMovieIds,negHistMovieIds,"
          "gender,age,occupation,zipCode,title,genres,label").split(",")


def main(folder, out, start, split):
    rows = [tuple(map(int, line.split("\t"))) for line in open(folder + "/u.data")]
    rows.sort(key=lambda r: (r[3], r[0], r[1]))
    genre_names = [line.split("|")[0] for line in open(folder + "/u.genre") if line.strip()]
    items = {}
    for line in open(folder + "/u.item", encoding="latin-1"):
        p = line.rstrip("\n").split("|")
        flags = p[5:5 + len(genre_names)]
        items[int(p[0])] = (p[1], "|".join(g for g, f in zip(genre_names, flags) if f == "1"))
    users = {}
    for line in open(folder + "/u.user", encoding="latin-1"):
        p = line.strip().split("|")
        users[int(p[0])] = p  # id|age|gender|occupation|zip
    movies = sorted(items)
    rng = random.Random(1)
    history = defaultdict(lambda: deque(maxlen=10))
    rated = defaultdict(set)
    n = len(rows)
    first, cut = int(start * n), int(split * n)
    os.makedirs(out, exist_ok=True)
    with open(out + "/train.csv", "w", newline="") as ft, \
            open(out + "/test.csv", "w", newline="") as fs:
        train, test = csv.writer(ft), csv.writer(fs)
        train.writerow(HEADER)
        test.writerow(HEADER)
        for i, (u, m, stars, t) in enumerate(rows):
            if i >= first:
                h = list(history[u])
                negatives = []
                while len(negatives) < len(h):
                    c = rng.choice(movies)
                    if c not in rated[u]:
                        negatives.append(c)
                _, age, gender, occupation, zip_code = users[u][:5]
                title, genres = items[m]
                (train if i < cut else test).writerow(
                    [u, m, stars, t, 1, "|".join(map(str, h)), "|".join(map(str, negatives)),
                     gender, age, occupation, zip_code, title, genres, 1 if stars >= 4 else 0])
            if stars >= 4:
                history[u].append(m)
            rated[u].add(m)
    print(f"{cut - first} train rows, {n - cut} test rows in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
