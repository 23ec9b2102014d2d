"""Threshold report for a trained checkpoint: per-class and mixed-camera recall / false-reject rate.

Scores every image of a held-out benchmark (good and defective; the demo used ``--seed 1``) and of the test split,
then compares threshold rules: per class ``mean + k·std`` of the held-out normal scores (k = 3, 4), and single
thresholds for a camera that sees every class. Writes all scores to a JSON file and prints the tables of
docs/accuracy.md.

    /usr/bin/python3 models/demo/threshold_report.py runs/demo/last.pt runs/demo/scores.json \\
        [--heldout /tmp/uniad-heldout] [--test /tmp/uniad-bench]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.uniad.checkpoint import load_model  # noqa: E402
from models.uniad.data import test_records  # noqa: E402
from models.uniad.features import cached_features  # noqa: E402


def scores(model, root):
    """(records, image scores) of every test image under ``root``, through the feature cache."""
    recs = test_records(root)
    feats = cached_features(model, recs, os.path.join(root, ".uniad-cache"), 32)
    with torch.no_grad():
        s = torch.cat([model.score_features(c)[0] for c in feats.split(32)]).numpy()
    return recs, s


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("out", help="JSON file for the scores")
    p.add_argument("--heldout", default="/tmp/uniad-heldout")
    p.add_argument("--test", default="/tmp/uniad-bench")
    args = p.parse_args()
    torch.set_num_threads(2)
    model, meta = load_model(args.checkpoint, "cpu")
    model.eval()
    out = {}
    for name, root in (("heldout", args.heldout), ("test", args.test)):
        recs, s = scores(model, root)
        out[name] = [(r.cls, r.label, float(x)) for r, x in zip(recs, s)]
    with open(args.out, "w") as f:
        json.dump(out, f)
    held, test = out["heldout"], out["test"]

    def split(rows, cls):
        good = np.array([s for c, lab, s in rows if c == cls and lab == 0])
        bad = np.array([s for c, lab, s in rows if c == cls and lab == 1])
        return good, bad

    print("| class | held-out good mean / std / max | k | threshold | held-out recall / FRR | test recall / FRR |")
    print("| --- | --- | ---: | ---: | --- | --- |")
    for cls in meta["classes"]:
        g, b = split(held, cls)
        tg, tb = split(test, cls)
        for k in (3, 4):
            thr = g.mean() + k * g.std()
            print(f"| {cls} | {g.mean():.1f} / {g.std():.1f} / {g.max():.1f} | {k} | {thr:.1f} | "
                  f"{np.mean(b >= thr):.2f} / {np.mean(g >= thr):.2f} | {np.mean(tb >= thr):.2f} / {np.mean(tg >= thr):.2f} |")
    ga = np.array([s for c, lab, s in held if lab == 0])
    ba = np.array([s for c, lab, s in held if lab == 1])
    tga = np.array([s for c, lab, s in test if lab == 0])
    tba = np.array([s for c, lab, s in test if lab == 1])
    per_class = [split(held, c)[0] for c in meta["classes"]]
    rules = [
        ("pooled mean + 3 std", ga.mean() + 3 * ga.std()),
        ("pooled mean + 2 std", ga.mean() + 2 * ga.std()),
        ("highest per-class mean + 3 std", max(g.mean() + 3 * g.std() for g in per_class)),
        ("max held-out normal score", ga.max()),
        ("99th percentile of held-out normals", np.quantile(ga, 0.99)),
    ]
    print()
    print("| mixed-camera rule | threshold | held-out recall / FRR | test recall / FRR |")
    print("| --- | ---: | --- | --- |")
    for name, thr in rules:
        print(f"| {name} | {thr:.1f} | {np.mean(ba >= thr):.3f} / {np.mean(ga >= thr):.3f} | "
              f"{np.mean(tba >= thr):.3f} / {np.mean(tga >= thr):.3f} |")


if __name__ == "__main__":
    main()
