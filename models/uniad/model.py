"""UniAD: A Unified Model for Multi-class Anomaly Detection (You et al., NeurIPS 2022).

Paper: https://arxiv.org/abs/2206.03687. Official code: https://github.com/zhiyuanyou/UniAD.

A frozen CNN extracts multi-scale features (§3.1), a neck aligns them into one token grid, and a
transformer with neighbor masked attention, layer-wise queries and feature jitter (§3.2-§3.4) learns to
reconstruct the features of normal images of every class at once. The anomaly map is the per-position
L2 reconstruction error (§3.5); the image score is the max of its 16×16 average-pooled version.

``UniAD.forward`` takes raw uint8 NHWC RGB and returns ``(score, anomaly_map)`` — the ONNX contract.
Training works on cached neck features through ``UniAD.reconstruction`` alone.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .backbones import Backbone, create_backbone
from .configs import UniADConfig
from .jitter import FeatureJitter, feature_jitter
from .mask import additive_mask, neighbor_mask
from .neck import FeatureAlignNeck
from .transformer import LearnedPositionEmbedding, Transformer


class Reconstruction(nn.Module):
    """Token projection, jitter, transformer and back-projection (§3.2).

    With ``cfg.token_patch`` p > 1 each token carries a p×p square of feature cells (their channels stacked), so a
    finer feature map is reconstructed by a transformer over ``cfg.token_grid``² tokens.

    Args:
        in_channels: Channels of the aligned features (272 for the B4 taps).
        cfg: Model configuration.
    """

    def __init__(self, in_channels: int, cfg: UniADConfig) -> None:
        super().__init__()
        size = cfg.token_grid
        self.feature_size = cfg.feature_size
        self.patch = cfg.token_patch
        self.token_grid = size
        self.in_channels = in_channels
        self.token_channels = in_channels * cfg.token_patch ** 2
        self.jitter = FeatureJitter(cfg.jitter_scale, cfg.jitter_prob) if cfg.feature_jitter else None
        self.input_proj = nn.Linear(self.token_channels, cfg.hidden_dim)
        self.pos_embed = LearnedPositionEmbedding(size, size, cfg.hidden_dim)
        mask = additive_mask(neighbor_mask(size, size, cfg.neighbor_size)) if cfg.neighbor_mask else None
        self.transformer = Transformer(
            cfg.hidden_dim, cfg.num_heads, cfg.num_encoder_layers, cfg.num_decoder_layers, cfg.ffn_dim,
            cfg.dropout, size * size, cfg.layer_wise_query, mask)
        self.output_proj = nn.Linear(cfg.hidden_dim, self.token_channels)
        self._init_weights()

    def _init_weights(self) -> None:
        # Official initializer: Xavier-uniform on every Linear weight (attention output projections included).
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)

    @property
    def token_shape(self) -> Tuple[int, int]:
        """``(tokens, channels)`` of one image's token sequence: the shape of its jitter noise."""
        return self.token_grid * self.token_grid, self.token_channels

    def _to_tokens(self, feature: Tensor) -> Tensor:
        """``[B, C, S, S]`` → ``[B, g*g, C*p*p]``, row-major like the position embedding (g = S / p)."""
        p, g, c = self.patch, self.token_grid, self.in_channels
        if p > 1:  # space-to-depth with Python-int shapes, so the exported graph keeps them static
            feature = feature.reshape(-1, c, g, p, g, p).permute(0, 1, 3, 5, 2, 4).reshape(-1, c * p * p, g, g)
        return feature.flatten(2).transpose(1, 2)

    def _from_tokens(self, tokens: Tensor) -> Tensor:
        """Inverse of ``_to_tokens``."""
        p, g, c = self.patch, self.token_grid, self.in_channels
        out = tokens.transpose(1, 2).reshape(-1, self.token_channels, g, g)
        if p > 1:
            out = out.reshape(-1, c, p, p, g, g).permute(0, 1, 4, 2, 5, 3).reshape(-1, c, g * p, g * p)
        return out

    def forward(self, feature: Tensor, noise: Optional[Tensor] = None) -> Tensor:
        """Reconstructs ``[B, C, h, w]`` aligned features; jitter (if enabled) only in training mode.

        ``noise`` (``[B, tokens, token_channels]``, standard normal) is the jitter draw to use, zeros for a batch the
        jitter probability skips; without it the jitter draws its own.
        """
        tokens = self._to_tokens(feature)
        if self.jitter is not None and self.training and noise is not None:
            tokens = feature_jitter(tokens, self.jitter.scale, noise)
        elif self.jitter is not None:
            tokens = self.jitter(tokens)
        return self._from_tokens(self.output_proj(self.transformer(self.input_proj(tokens), self.pos_embed())))


class UniAD(nn.Module):
    """The full model: backbone → neck → reconstruction → anomaly map and score.

    Args:
        cfg: Model configuration.
        backbone_weights: Local ImageNet weights file for the backbone; ``None`` = random init (warned).
        backbone: A ready backbone instead of building ``cfg.backbone`` (for tests and custom trunks).
    """

    def __init__(self, cfg: UniADConfig, backbone_weights: Optional[str] = None,
                 backbone: Optional[Backbone] = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.backbone = backbone if backbone is not None else create_backbone(
            cfg.backbone, taps=None if cfg.backbone_taps is None else list(cfg.backbone_taps),
            weights=backbone_weights)
        self.backbone.requires_grad_(False)
        self.neck = FeatureAlignNeck(self.backbone.out_strides, cfg.feature_stride)
        self.feature_channels = sum(self.backbone.out_channels)
        self.reconstruction = Reconstruction(self.feature_channels, cfg)
        # cfg.balance_taps: one factor a channel (the same within a tap), fitted by fit_tap_scale before training.
        self.register_buffer("tap_scale", torch.ones(self.feature_channels) if cfg.balance_taps else None)
        self.backbone.eval()

    def train(self, mode: bool = True) -> "UniAD":
        """Like ``nn.Module.train`` but the backbone stays in eval mode: it is frozen, BN statistics included."""
        super().train(mode)
        self.backbone.eval()
        return self

    def forward_features(self, image: Tensor) -> Tensor:
        """uint8/float NHWC RGB 0..255 → aligned features ``[B, C, h, w]`` (no gradient through the backbone)."""
        with torch.no_grad():
            return self.neck(self.backbone(self.backbone.normalize(image)))

    def balance(self, feature: Tensor) -> Tensor:
        """Aligned features in the units the reconstruction works in: scaled per tap (``cfg.balance_taps``) or as is."""
        if self.tap_scale is None:
            return feature
        return feature * self.tap_scale.to(feature.device).view(1, -1, 1, 1)

    @torch.no_grad()
    def fit_tap_scale(self, features: Tensor) -> None:
        """Sets ``tap_scale`` from aligned training features ``[N, C, h, w]``: every tap gets the mean token norm
        that the taps have on average, so the overall scale (and the recipe tuned to it) stays about the same."""
        if self.tap_scale is None:
            return
        bounds = torch.tensor([0, *self.backbone.out_channels]).cumsum(0).tolist()
        norms = [features[:, a:b].norm(dim=1).mean() for a, b in zip(bounds[:-1], bounds[1:])]
        target = torch.stack(norms).mean()
        for (a, b), norm in zip(zip(bounds[:-1], bounds[1:]), norms):
            self.tap_scale[a:b] = target / norm.clamp_min(1e-12)

    def forward_head(self, feature: Tensor, reconstructed: Tensor) -> Tuple[Tensor, Tensor]:
        """Anomaly map ``[B, 1, S, S]`` and image score ``[B]`` from features and their reconstruction (§3.5)."""
        err = torch.sqrt(((reconstructed - feature) ** 2).sum(dim=1, keepdim=True))
        # A constant scale (not a size taken from a tensor) keeps H and W static in the exported graph;
        # with align_corners=True it samples exactly like resizing to image_size.
        anomaly_map = F.interpolate(err, scale_factor=float(self.cfg.feature_stride), mode="bilinear",
                                    align_corners=True)
        pooled = F.avg_pool2d(anomaly_map, self.cfg.score_pool, stride=1)
        return pooled.flatten(1).max(dim=1).values, anomaly_map

    def forward(self, image: Tensor) -> Tuple[Tensor, Tensor]:  # type: ignore[override]
        """Args: ``image`` uint8 ``[N, S, S, 3]`` RGB, S = ``cfg.image_size``.

        Returns:
            ``(score [N], anomaly_map [N, 1, S, S])``.
        """
        return self.score_features(self.forward_features(image))

    def score_features(self, feature: Tensor) -> Tuple[Tensor, Tensor]:
        """``forward`` from already-extracted (e.g. cached) features."""
        feature = self.balance(feature)
        return self.forward_head(feature, self.reconstruction(feature))


def reconstruction_loss(model: UniAD, feature: Tensor) -> Tensor:
    """Training objective (§3.4): MSE between the reconstruction of (jittered) tokens and the clean features."""
    feature = model.balance(feature)
    return F.mse_loss(model.reconstruction(feature), feature)


def build_model(cfg: UniADConfig, backbone_weights: Optional[str] = None) -> UniAD:
    """Builds ``UniAD`` from a config; the single entry point tools and tests use."""
    return UniAD(cfg, backbone_weights)


__all__ = ["UniAD", "Reconstruction", "reconstruction_loss", "build_model"]
