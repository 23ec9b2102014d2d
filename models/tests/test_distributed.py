"""Two CPU processes on gloo (torchrun, DistributedDataParallel) train the model one process trains.

What "the same" means here: the global batch is split over the processes, every random draw of a step (batch order,
jitter noise) is a function of the seed and the step, and each process's loss is scaled so that DDP's gradient
average is the gradient of the global batch's mean loss (models/uniad/train.py). With dropout 0 — dropout is the one
draw each process makes from its own stream — the two runs take the same optimisation steps and differ only by float
rounding: the gradient sum runs in another order (all-reduce over two halves instead of one sum). Seen: weights apart
by at most 2.6e-6 (torch 1.13) and 5.5e-6 (PyTorch 2.13) after 6 steps that moved them by up to 6e-3, losses equal to
1e-7 relative. So the check is tight: every weight within 3e-5 of the one-process run (a hundredth of what the steps
moved them at least), every epoch's loss within 1e-5 relative. The batch of 11 over 12 images
splits 6 / 5 and leaves a last batch of one image, so one process runs a step with no rows of its own: both edge
cases of the split are in the check.
"""
import os
import subprocess
import sys

import torch
from trees import make_mvtec_tree

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _train(tmp_path, name, nproc):
    out = tmp_path / name
    args = ["--threads", "1", "--device", "cpu", "train", "--data", str(tmp_path / "data"), "--out", str(out),
            "--cache-dir", str(tmp_path / f"cache-{name}"), "--preset", "tiny", "--allow-random-backbone",
            "--dropout", "0", "--epochs", "3", "--batch-size", "11", "--lr", "1e-3", "--seed", "7",
            "--checkpoint-every", "3"]
    launcher = ["-m", "models.uniad.launch", "--nproc", str(nproc)] if nproc > 1 else ["-m", "models.uniad"]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT)
    run = subprocess.run([sys.executable, *launcher, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return torch.load(out / "last.pt", map_location="cpu")


def test_two_gloo_processes_give_the_one_process_weights_to_float_rounding(tmp_path):
    make_mvtec_tree(tmp_path / "data")
    one = _train(tmp_path, "one", 1)
    two = _train(tmp_path, "two", 2)
    assert two["meta"]["train"]["processes"] == 2 and one["meta"]["train"]["processes"] == 1
    assert len(two["meta"]["losses"]) == len(one["meta"]["losses"]) == 3
    for a, b in zip(one["meta"]["losses"], two["meta"]["losses"]):
        assert abs(a - b) <= 1e-5 * abs(a)

    torch.manual_seed(7)  # the initial transformer of both runs (train.py seeds before building the model)
    from models.uniad.configs import get_preset
    from models.uniad.model import UniAD
    start = UniAD(get_preset("tiny", dropout=0.0)).reconstruction.state_dict()
    moved, apart = 0.0, 0.0
    for key, w1 in one["model"].items():
        if not key.startswith("reconstruction."):
            assert torch.equal(w1, two["model"][key]), key  # the frozen backbone, the same random init in both
            continue
        apart = max(apart, (w1 - two["model"][key]).abs().max().item())
        moved = max(moved, (w1 - start[key[len("reconstruction."):]]).abs().max().item())
    assert apart <= 3e-5, f"weights differ by up to {apart}"
    assert moved >= 3e-3, f"training moved the weights by only {moved}: the comparison would prove nothing"
