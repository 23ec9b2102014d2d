"""Training lowers the loss; the CLI runs train → calibrate → evaluate → export (and resume) end to end."""
import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from models.uniad.__main__ import main
from models.uniad.configs import TrainConfig, get_preset
from models.uniad.model import UniAD, reconstruction_loss
from models.uniad.train import train_on_features

torch.set_num_threads(2)


def make_mvtec_tree(root, size=64):
    """Two classes of striped / checkered images; defects are bright squares with masks."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    patterns = {"stripes": (np.sin(xx / 3.0) > 0), "checker": ((xx // 8 + yy // 8) % 2 == 0)}
    for cls, pattern in patterns.items():
        def image(defect):
            img = pattern[..., None] * np.array([180, 120, 60]) + rng.integers(0, 30, (size, size, 3))
            mask = np.zeros((size, size), dtype=np.uint8)
            if defect:
                y, x = rng.integers(8, size - 24, 2)
                img[y:y + 16, x:x + 16] = [255, 255, 255]
                mask[y:y + 16, x:x + 16] = 255
            return img.clip(0, 255).astype(np.uint8), mask
        for split, defect, n in [("train/good", False, 6), ("test/good", False, 2), ("test/hole", True, 2)]:
            os.makedirs(root / cls / split, exist_ok=True)
            for i in range(n):
                img, mask = image(defect)
                Image.fromarray(img).save(root / cls / split / f"{i:03d}.png")
                if defect:
                    os.makedirs(root / cls / "ground_truth" / "hole", exist_ok=True)
                    Image.fromarray(mask).save(root / cls / "ground_truth" / "hole" / f"{i:03d}_mask.png")


def test_a_few_steps_lower_the_loss():
    torch.manual_seed(0)
    model = UniAD(get_preset("tiny", dropout=0.0))
    feats = torch.randn(16, model.feature_channels, 8, 8)
    model.eval()
    with torch.no_grad():
        before = reconstruction_loss(model, feats).item()
    losses = train_on_features(model, feats, TrainConfig(epochs=15, batch_size=8, lr=1e-3, clip_grad_norm=1.0))
    with torch.no_grad():
        after = reconstruction_loss(model, feats).item()
    assert losses[-1] < losses[0]
    assert after < 0.8 * before


def test_cli_train_resume_calibrate_evaluate_export(tmp_path, capsys):
    data, run = tmp_path / "data", tmp_path / "run"
    make_mvtec_tree(data)
    common = ["--threads", "2", "--device", "cpu"]
    args = ["train", "--data", str(data), "--out", str(run), "--preset", "tiny", "--batch-size", "4",
            "--lr", "1e-3", "--checkpoint-every", "2", "--seed", "3"]
    assert main(common + args + ["--epochs", "2"]) == 0
    assert len(os.listdir(data / ".uniad-cache")) == 1  # 12 training images cached once
    assert main(common + args + ["--epochs", "3", "--resume"]) == 0
    ckpt = torch.load(run / "last.pt")
    assert ckpt["epoch"] == 3 and len(ckpt["meta"]["losses"]) == 3
    assert ckpt["meta"]["classes"] == ["checker", "stripes"]

    calib = tmp_path / "calib.json"
    assert main(common + ["calibrate", "--checkpoint", str(run / "last.pt"), "--data", str(data),
                          "--out", str(calib)]) == 0
    c = json.loads(calib.read_text())
    for cls in ("checker", "stripes"):
        s = c["scoreStats"][cls]
        assert c["thresholds"][cls] == pytest.approx(s["mean"] + 3 * s["std"])
    calib_max = tmp_path / "calib-max.json"
    assert main(common + ["calibrate", "--checkpoint", str(run / "last.pt"), "--data", str(data),
                          "--default-rule", "max-class", "--out", str(calib_max)]) == 0
    cm = json.loads(calib_max.read_text())
    assert cm["thresholds"] == c["thresholds"]
    assert cm["defaultThreshold"] == pytest.approx(max(c["thresholds"].values()))

    assert main(common + ["evaluate", "--checkpoint", str(run / "last.pt"), "--data", str(data),
                          "--out", str(tmp_path / "eval")]) == 0
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert set(metrics["classes"]) == {"checker", "stripes"}
    for r in metrics["classes"].values():
        assert 0.0 <= r["image_auroc"] <= 1.0 and 0.0 <= r["pixel_auroc"] <= 1.0
        assert r["images"] == 4 and r["anomalous"] == 2
    assert "| **mean** |" in (tmp_path / "eval" / "metrics.md").read_text()

    onnx_path = tmp_path / "out" / "tiny.onnx"
    assert main(common + ["export", "--checkpoint", str(run / "last.pt"), "--calibration", str(calib),
                          "--out", str(onnx_path), "--name", "tiny", "--version", "0.0.1"]) == 0
    side = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert set(side) == {"name", "version", "input", "classes", "thresholds", "defaultThreshold", "backbone",
                         "scoreStats", "training"}
    assert side["input"] == {"height": 64, "width": 64} and side["classes"] == ["checker", "stripes"]
    assert side["training"]["epochs"] == 3 and side["training"]["seed"] == 3
    assert set(side["scoreStats"]["checker"]) == {"mean", "std", "max"}


def test_learning_curve_points_on_a_validation_build(tmp_path):
    from models.uniad.curves import main as curves_main
    data, val, run = tmp_path / "data", tmp_path / "val", tmp_path / "run"
    make_mvtec_tree(data)
    make_mvtec_tree(val)
    assert main(["--threads", "2", "train", "--data", str(data), "--out", str(run), "--preset", "tiny",
                 "--batch-size", "4", "--lr", "1e-3", "--epochs", "3", "--val-data", str(val),
                 "--eval-every", "2"]) == 0
    curve = json.loads((run / "curve.json").read_text())
    assert [p["epoch"] for p in curve] == [2, 3]  # every 2 epochs, and the last
    for p in curve:
        assert set(p["perClass"]) == {"checker", "stripes"}
        assert 0.0 <= p["image"] <= 100.0 and 0.0 <= p["pixel"] <= 100.0
    assert torch.load(run / "last.pt")["meta"]["curve"] == curve
    png = tmp_path / "curve.png"
    assert curves_main([f"tiny={run / 'curve.json'}", "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
