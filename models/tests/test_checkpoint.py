"""Official UniAD checkpoints ({state_dict}, 'module.' prefix, full 32-block B4) load with nothing unplaced."""
import torch

from models.uniad.checkpoint import load_checkpoint
from models.uniad.configs import get_preset
from models.uniad.model import UniAD


def official_style_checkpoint(model: UniAD) -> dict:
    state = {"module." + k: v.clone() for k, v in model.state_dict().items()}
    # The official EfficientNet builds all 32 blocks and the head; our trunk stops after the last tap.
    state["module.backbone._blocks.31._project_conv.weight"] = torch.zeros(448, 2688, 1, 1)
    state["module.backbone._conv_head.weight"] = torch.zeros(1792, 448, 1, 1)
    state["module.backbone._bn1.running_mean"] = torch.zeros(1792)
    return {"state_dict": state, "epoch": 1000, "best_metric": 0.96}


def test_official_layout_keys_are_ours():
    model = UniAD(get_preset("paper"))
    keys = model.state_dict().keys()
    for k in ["reconstruction.transformer.decoder.layers.3.learned_embed.weight",
              "reconstruction.transformer.encoder.layers.0.self_attn.in_proj_weight",
              "reconstruction.transformer.decoder.layers.0.multihead_attn.out_proj.weight",
              "reconstruction.transformer.decoder.norm.weight", "reconstruction.input_proj.weight",
              "reconstruction.output_proj.bias", "reconstruction.pos_embed.row_embed.weight",
              "reconstruction.pos_embed.col_embed.weight", "backbone._blocks.21._bn2.running_var"]:
        assert k in keys, k
    state = model.state_dict()
    assert state["reconstruction.transformer.decoder.layers.0.learned_embed.weight"].shape == (196, 256)
    assert state["reconstruction.transformer.encoder.layers.0.self_attn.in_proj_weight"].shape == (768, 256)
    assert state["reconstruction.pos_embed.row_embed.weight"].shape == (14, 128)


def test_official_checkpoint_loads_fully_and_reproduces_outputs():
    cfg = get_preset("paper", image_size=128)
    torch.manual_seed(0)
    src = UniAD(cfg).eval()
    torch.manual_seed(1)
    dst = UniAD(cfg).eval()
    report = load_checkpoint(dst, official_style_checkpoint(src))
    assert report.unplaced == [] and report.missing == []
    assert len(report.discarded) == 3
    image = torch.randint(0, 256, (2, 128, 128, 3), dtype=torch.uint8)
    with torch.no_grad():
        s1, m1 = src(image)
        s2, m2 = dst(image)
    assert torch.equal(s1, s2) and torch.equal(m1, m2)


def test_foreign_keys_are_reported_not_silently_dropped():
    model = UniAD(get_preset("tiny"))
    ckpt = official_style_checkpoint(model)
    ckpt["state_dict"]["module.reconstruction.extra.weight"] = torch.zeros(3)
    ckpt["state_dict"]["module.reconstruction.input_proj.weight"] = torch.zeros(5, 5)  # wrong shape
    report = load_checkpoint(model, ckpt)
    assert sorted(report.unplaced) == ["reconstruction.extra.weight", "reconstruction.input_proj.weight"]
    assert report.missing == ["reconstruction.input_proj.weight"]
