"""The GPU section of the speed benchmark (bench/gpu-reference.ts): the same code times on the CPU in CI, says why
when CUDA is missing, and refuses what it cannot time."""
import json
import os
import subprocess
import sys

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "models.uniad.gpu_timing", *args], cwd=REPO, capture_output=True, text=True)


def test_times_every_batch_of_a_preset_on_the_cpu():
    done = run("--device", "cpu", "--presets", "tiny", "--batches", "1,2", "--precisions", "fp32", "--rounds", "2")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["device"] == "cpu"
    assert [(r["preset"], r["precision"], r["batch"]) for r in result["rows"]] == [("tiny", "fp32", 1), ("tiny", "fp32", 2)]
    assert all(r["fps"] > 0 and abs(r["fps"] * r["msPerBatch"] / 1000 - r["batch"]) < 1e-6 for r in result["rows"])


def test_names_the_card_or_says_why_there_is_none():
    done = run("--presets", "tiny", "--batches", "1", "--rounds", "1")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if torch.cuda.is_available():
        assert result["device"] == torch.cuda.get_device_name(0)
        assert {r["precision"] for r in result["rows"]} == {"fp32", "fp16"}
    else:
        assert result["device"] is None and result["rows"] == []
        assert "no CUDA device" in result["reason"]


def test_refuses_fp16_on_the_cpu_and_unknown_presets():
    fp16 = run("--device", "cpu", "--presets", "tiny", "--precisions", "fp16")
    assert fp16.returncode == 2 and "needs --device cuda" in fp16.stderr
    unknown = run("--device", "cpu", "--presets", "tinyy", "--precisions", "fp32")
    assert unknown.returncode == 2 and "unknown tinyy" in unknown.stderr
