"""The PyTorch side of bench/pipeline.ts --torch: it times a preset and leaves a contract ONNX for the runtime."""
import json
import os
import subprocess
import sys

import onnx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_timing_times_the_preset_and_exports_it(tmp_path):
    out = tmp_path / "tiny.onnx"
    run = subprocess.run([sys.executable, "-m", "models.uniad.timing", "--preset", "tiny", "--batch", "2", "--rounds", "2",
                          "--out", str(out)], cwd=REPO, capture_output=True, text=True, check=True)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["preset"] == "tiny" and result["batch"] == 2
    assert len(result["seconds"]) == 2 and all(s > 0 for s in result["seconds"])
    graph = onnx.load(str(out)).graph
    assert [i.name for i in graph.input] == ["image"]
    assert [o.name for o in graph.output] == ["score", "anomaly_map"]
    sidecar = json.loads((tmp_path / "tiny.json").read_text())
    assert sidecar["input"] == {"height": 64, "width": 64}
