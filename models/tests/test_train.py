"""Training lowers the loss; the CLI runs train → calibrate → evaluate → export (and resume) end to end."""
import json
import os

import pytest
import torch
from trees import make_mvtec_tree

from models.uniad.__main__ import main
from models.uniad.configs import TrainConfig, get_preset
from models.uniad.model import UniAD, reconstruction_loss
from models.uniad.train import train_on_features

torch.set_num_threads(2)


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
    args = ["train", "--data", str(data), "--out", str(run), "--preset", "tiny", "--allow-random-backbone",
            "--batch-size", "4", "--lr", "1e-3", "--checkpoint-every", "2", "--seed", "3"]
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
                         "scoreStats", "scorePool", "training"}
    assert side["input"] == {"height": 64, "width": 64} and side["classes"] == ["checker", "stripes"]
    assert side["scorePool"] == 16  # the tiny preset keeps the paper's 16 x 16 window
    assert side["training"]["epochs"] == 3 and side["training"]["seed"] == 3
    assert set(side["scoreStats"]["checker"]) == {"mean", "std", "max"}


def test_learning_curve_points_on_a_validation_build(tmp_path):
    from models.uniad.curves import main as curves_main
    data, val, run = tmp_path / "data", tmp_path / "val", tmp_path / "run"
    make_mvtec_tree(data)
    make_mvtec_tree(val)
    assert main(["--threads", "2", "train", "--data", str(data), "--out", str(run), "--preset", "tiny",
                 "--allow-random-backbone", "--batch-size", "4", "--lr", "1e-3", "--epochs", "3",
                 "--val-data", str(val), "--eval-every", "2"]) == 0
    curve = json.loads((run / "curve.json").read_text())
    assert [p["epoch"] for p in curve] == [2, 3]  # every 2 epochs, and the last
    for p in curve:
        assert set(p["perClass"]) == {"checker", "stripes"}
        assert 0.0 <= p["image"] <= 100.0 and 0.0 <= p["pixel"] <= 100.0
    assert torch.load(run / "last.pt")["meta"]["curve"] == curve
    png = tmp_path / "curve.png"
    assert curves_main([f"tiny={run / 'curve.json'}", "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
