"""A backbone without pretrained weights makes a detector at chance level (docs/accuracy.md §5), so training on one is
refused unless asked for, and then warned about loudly (issue 20 item 8: ``--preset mobilenet`` without ``--weights``
trained quietly on a random network and recorded ``random-init``)."""
import logging

import torch
from trees import make_mvtec_tree

from models.uniad.__main__ import main
from models.uniad.backbones import create_backbone


def test_training_without_weights_is_refused_and_says_what_to_do(tmp_path, capsys):
    make_mvtec_tree(tmp_path / "data")
    args = ["--threads", "2", "train", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run"),
            "--preset", "mobilenet", "--epochs", "1", "--batch-size", "4"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "the backbone mobilenet_v2 has no pretrained weights" in err
    assert "--weights FILE" in err and "--allow-random-backbone" in err and "Traceback" not in err
    assert not (tmp_path / "run" / "last.pt").exists()


def test_an_allowed_random_backbone_trains_with_a_loud_warning_and_is_recorded(tmp_path, caplog):
    make_mvtec_tree(tmp_path / "data")
    args = ["--threads", "2", "train", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run"),
            "--preset", "mobilenet", "--epochs", "1", "--batch-size", "4", "--allow-random-backbone"]
    with caplog.at_level(logging.WARNING):
        assert main(args) == 0
    assert "TRAINING ON A RANDOMLY INITIALISED BACKBONE (mobilenet_v2" in caplog.text
    assert torch.load(tmp_path / "run" / "last.pt")["meta"]["backbone_weights"] == "random-init"


def test_every_backbone_says_whether_it_is_random():
    from models.uniad.backbones import is_random_init
    assert is_random_init(create_backbone("mobilenet_v2", taps=["block_2_add"]))
    assert is_random_init(create_backbone("efficientnet_b0", taps=[1]))
