"""Shapes at every stage, presets, ablation switches, and the EfficientNet-B4 trunk details."""
import logging

import pytest
import torch
import torchvision

from models.uniad.backbones import create_backbone, list_backbones
from models.uniad.backbones.efficientnet import EfficientNetFeatures
from models.uniad.configs import get_preset
from models.uniad.model import UniAD

torch.set_num_threads(2)


def run_stages(cfg, batch):
    torch.manual_seed(0)
    model = UniAD(cfg).eval()
    image = torch.randint(0, 256, (batch, cfg.image_size, cfg.image_size, 3), dtype=torch.uint8)
    with torch.no_grad():
        x = model.backbone.normalize(image)
        feats = model.backbone(x)
        aligned = model.neck(feats)
        rec = model.reconstruction(aligned)
        score, amap = model(image)
    return model, x, feats, aligned, rec, score, amap


@pytest.mark.parametrize("preset,size,batch", [("paper", 224, 1), ("cpu", 128, 2), ("tiny", 64, 3)])
def test_shapes_at_every_stage(preset, size, batch):
    cfg = get_preset(preset, image_size=size)
    model, x, feats, aligned, rec, score, amap = run_stages(cfg, batch)
    s = cfg.feature_size
    assert x.shape == (batch, 3, size, size) and x.dtype == torch.float32
    assert [f.shape[1] for f in feats] == model.backbone.out_channels
    assert [size // f.shape[-1] for f in feats] == model.backbone.out_strides
    assert aligned.shape == (batch, sum(model.backbone.out_channels), s, s)
    assert rec.shape == aligned.shape
    assert score.shape == (batch,) and amap.shape == (batch, 1, size, size)
    assert torch.isfinite(amap).all() and torch.isfinite(score).all()


def test_paper_preset_b4_taps_channels_and_strides():
    b = create_backbone("efficientnet_b4")
    assert b.taps == [1, 5, 9, 21] and len(b._blocks) == 22
    assert b.out_channels == [24, 32, 56, 160] and b.out_strides == [2, 4, 8, 16]
    cfg = get_preset("paper")
    assert (cfg.feature_size, cfg.hidden_dim, cfg.num_encoder_layers, cfg.num_decoder_layers) == (14, 256, 4, 4)


def test_b4_static_same_padding_quirk_at_224():
    b = create_backbone("efficientnet_b4")
    assert b._blocks[6]._depthwise_conv.kernel_size == (5, 5) and b._blocks[6]._depthwise_conv.stride == (2, 2)
    assert b._blocks[6]._depthwise_conv.static_padding == (2, 2, 2, 2)
    assert b._conv_stem.static_padding == (0, 1, 0, 1)
    feats = b(b.normalize(torch.zeros(1, 224, 224, 3, dtype=torch.uint8)))
    assert [f.shape[-1] for f in feats] == [112, 56, 28, 14]


def test_random_init_warns_loudly(caplog):
    with caplog.at_level(logging.WARNING):
        create_backbone("efficientnet_b4", taps=[1])
    assert "RANDOMLY INITIALISED" in caplog.text


def test_torchvision_weights_map_onto_every_parameter(tmp_path):
    torch.manual_seed(0)
    tv = torchvision.models.efficientnet_b4()
    path = tmp_path / "tv.pth"
    torch.save(tv.state_dict(), path)
    b = EfficientNetFeatures("efficientnet_b4", weights=str(path))
    assert b.weights_source.startswith("torchvision:")
    assert torch.equal(b._conv_stem.weight, tv.features[0][0].weight)
    # block 6 = first block of torchvision stage 3; stage 1 blocks have no expand conv
    assert torch.equal(b._blocks[6]._depthwise_conv.weight, tv.features[3][0].block[1][0].weight)
    assert torch.equal(b._blocks[1]._project_conv.weight, tv.features[1][1].block[2][0].weight)
    assert torch.equal(b._blocks[21]._bn2.running_var, tv.features[5][5].block[3][1].running_var)


def test_lukemelas_layout_roundtrip(tmp_path):
    torch.manual_seed(1)
    src = EfficientNetFeatures("efficientnet_b4")
    state = dict(src.state_dict())
    state["_conv_head.weight"] = torch.zeros(1)  # head keys of a full checkpoint are dropped
    torch.save(state, tmp_path / "lm.pth")
    dst = EfficientNetFeatures("efficientnet_b4", weights=str(tmp_path / "lm.pth"))
    x = torch.randn(1, 3, 64, 64)
    for a, b in zip(src.eval()(x), dst.eval()(x)):
        assert torch.equal(a, b)


def test_registry_lists_mobilenet_lazily_and_rejects_unknown():
    assert {"efficientnet_b4", "mobilenet_v2"} <= set(list_backbones())
    with pytest.raises(ValueError, match="unknown backbone"):
        create_backbone("resnet9000")


def test_backbone_is_frozen_and_stays_in_eval():
    model = UniAD(get_preset("tiny")).train()
    assert not model.backbone.training and model.reconstruction.training
    assert not any(p.requires_grad for p in model.backbone.parameters())


@pytest.mark.parametrize("switch", ["layer_wise_query", "neighbor_mask", "feature_jitter"])
def test_ablation_switches_build_and_change_the_model(switch):
    on = UniAD(get_preset("tiny"))
    off = UniAD(get_preset("tiny", **{switch: False}))
    _, _, _, _, rec, score, _ = run_stages(get_preset("tiny", **{switch: False}), 2)
    assert torch.isfinite(rec).all()
    if switch == "layer_wise_query":
        assert off.reconstruction.transformer.decoder.layers[0].learned_embed is None
        assert off.reconstruction.transformer.decoder.query_embed is not None
        assert on.reconstruction.transformer.decoder.query_embed is None
    elif switch == "neighbor_mask":
        assert off.reconstruction.transformer.attn_mask is None
        assert on.reconstruction.transformer.attn_mask.shape == (64, 64)
    else:
        assert off.reconstruction.jitter is None and on.reconstruction.jitter is not None


def test_neighbor_mask_blocks_information_from_the_window():
    torch.manual_seed(0)
    model = UniAD(get_preset("tiny", num_encoder_layers=1, num_decoder_layers=1)).eval()
    feat = torch.randn(1, model.feature_channels, 8, 8)
    changed = feat.clone()
    changed[0, :, 4, 4] += 10.0
    with torch.no_grad():
        enc = model.reconstruction.transformer.encoder
        proj = model.reconstruction.input_proj
        pos = model.reconstruction.pos_embed()
        mask = model.reconstruction.transformer.attn_mask
        a = enc(proj(feat.flatten(2).transpose(1, 2)), pos, mask)
        b = enc(proj(changed.flatten(2).transpose(1, 2)), pos, mask)
    # After one masked layer, the token's own output depends on it only through the residual path, while a
    # token outside its 3x3 window sees it through attention.
    far = 0 * 8 + 0
    assert not torch.allclose(a[0, far], b[0, far])
    near = 3 * 8 + 3
    delta_near = (a[0, near] - b[0, near]).abs().max()
    assert delta_near == 0


def test_token_patch_groups_cells_into_tokens_and_back():
    # token_patch 2: a 16x16 feature map becomes 8x8 tokens of 2x2 cells; the map round-trips exactly.
    cfg = get_preset("tiny", feature_stride=4, token_patch=2)
    assert (cfg.feature_size, cfg.token_grid) == (16, 8)
    torch.manual_seed(0)
    model = UniAD(cfg).eval()
    rec, c = model.reconstruction, model.feature_channels
    feature = torch.randn(2, c, 16, 16)
    tokens = rec._to_tokens(feature)
    assert tokens.shape == (2, 64, 4 * c)
    assert torch.equal(tokens[0, 0].reshape(c, 2, 2), feature[0, :, 0:2, 0:2])
    assert torch.equal(tokens[0, 1].reshape(c, 2, 2), feature[0, :, 0:2, 2:4])
    assert torch.equal(tokens[1, 8].reshape(c, 2, 2), feature[1, :, 2:4, 0:2])
    assert torch.equal(rec._from_tokens(tokens), feature)
    with torch.no_grad():
        score, amap = model(torch.randint(0, 256, (2, 64, 64, 3), dtype=torch.uint8))
    assert score.shape == (2,) and amap.shape == (2, 1, 64, 64)


def test_token_patch_must_divide_the_feature_grid():
    with pytest.raises(ValueError, match="token_patch 3"):
        get_preset("tiny", token_patch=3)
