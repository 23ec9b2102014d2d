"""Loading and saving UniAD checkpoints: ours and the official repository's.

Official checkpoints (zhiyuanyou/UniAD) are ``{"state_dict": ..., ...}`` saved from a DistributedDataParallel
model, so every key starts with ``module.``. Our module names mirror theirs, so after the filter the keys
place one to one. Ours are ``{"model": state_dict, "config": UniADConfig dict, "meta": {...}, ...}``.
"""
from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import torch
from torch import Tensor

from .configs import UniADConfig
from .model import UniAD

_logger = logging.getLogger(__name__)


@dataclass
class LoadReport:
    """What happened to each checkpoint key.

    Attributes:
        unplaced: Checkpoint keys with no matching parameter, or with a mismatching shape.
        missing: Model parameters the checkpoint did not provide (left as they were).
        discarded: Keys dropped on purpose by ``checkpoint_filter_fn`` (layers this model does not build).
    """

    unplaced: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    discarded: List[str] = field(default_factory=list)


def checkpoint_filter_fn(checkpoint: Mapping[str, Any], model: UniAD) -> Tuple[Dict[str, Tensor], List[str]]:
    """Maps a foreign or own checkpoint onto ``model``'s state-dict keys.

    Args:
        checkpoint: A loaded checkpoint object or a bare state dict.
        model: The model the keys must fit.

    Returns:
        The filtered state dict and the keys discarded on purpose.
    """
    # Unwrap the container: official {"state_dict": ...}, ours {"model": ...}, or a bare state dict.
    if "state_dict" in checkpoint:
        state = checkpoint["state_dict"]
    elif "model" in checkpoint and isinstance(checkpoint["model"], Mapping):
        state = checkpoint["model"]
    else:
        state = checkpoint
    n_blocks = len(getattr(model.backbone, "_blocks", ()))
    out: Dict[str, Tensor] = {}
    discarded: List[str] = []
    for key, value in state.items():
        # DistributedDataParallel wraps the model: strip its "module." prefix.
        if key.startswith("module."):
            key = key[len("module."):]
        # The official EfficientNet keeps all 32 blocks and the classifier head; we stop after the last
        # tapped block, so later blocks and the head have nowhere to go and do not affect the output.
        m = re.match(r"backbone\._blocks\.(\d+)\.", key)
        if (m and n_blocks and int(m.group(1)) >= n_blocks) or key.startswith(
                ("backbone._conv_head.", "backbone._bn1.", "backbone._fc.")):
            discarded.append(key)
            continue
        out[key] = value
    return out, discarded


def load_checkpoint(model: UniAD, checkpoint: Union[str, Mapping[str, Any]]) -> LoadReport:
    """Loads a checkpoint (path or object) into ``model`` and reports keys it could not place.

    Shape mismatches are reported as unplaced instead of raising, so one report lists every problem.
    """
    if isinstance(checkpoint, str):
        checkpoint = torch.load(checkpoint, map_location="cpu")
    state, discarded = checkpoint_filter_fn(checkpoint, model)
    own = model.state_dict()
    report = LoadReport(discarded=discarded)
    placeable = {}
    for key, value in state.items():
        if key in own and own[key].shape == value.shape:
            placeable[key] = value
        else:
            report.unplaced.append(key)
    report.missing = [k for k in own if k not in placeable]
    model.load_state_dict(placeable, strict=False)
    if report.unplaced:
        _logger.warning("%d checkpoint keys could not be placed, e.g. %s", len(report.unplaced), report.unplaced[:5])
    return report


@contextlib.contextmanager
def _quiet_backbone_init() -> Iterator[None]:
    # The checkpoint carries the backbone weights, so the "random init" warning at construction would mislead.
    lg = logging.getLogger("models.uniad.backbones")
    level = lg.level
    lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        lg.setLevel(level)


def save_checkpoint(path: str, model: UniAD, meta: Dict[str, Any], **training_state: Any) -> None:
    """Writes our checkpoint format: weights, config, free-form ``meta`` and optional optimiser state."""
    torch.save({"model": model.state_dict(), "config": model.cfg.to_dict(), "meta": meta, **training_state}, path)


def _recorded_weights(source: str) -> Optional[str]:
    """The ``weights`` argument that rebuilds the backbone a checkpoint records (``weights_source``): the file, or
    for a fused backbone ``network=FILE`` for each network that had one."""
    if "=" not in source:
        return source or None
    entries = [e.strip() for e in source.split(";")]
    return ",".join(e for e in entries if not e.endswith("=random-init")) or None


def load_model(path: str, device: Optional[str] = None) -> Tuple[UniAD, Dict[str, Any]]:
    """Builds the model a checkpoint of ours describes and loads it (eval mode).

    Returns:
        The model and the checkpoint's ``meta`` dict.
    """
    ckpt = torch.load(path, map_location="cpu")
    cfg = UniADConfig.from_dict(ckpt["config"])
    meta = ckpt.get("meta", {})
    with _quiet_backbone_init():
        try:
            model = UniAD(cfg)
        except FileNotFoundError:
            # A network built from its converted file (mobilenet_v3: the graph's structure is in it) needs that file
            # again; the checkpoint's weights then replace the file's.
            model = UniAD(cfg, _recorded_weights(meta.get("backbone_weights", "")))
    report = load_checkpoint(model, ckpt)
    if report.unplaced or report.missing:
        raise ValueError(f"{path}: checkpoint does not fit its own config: unplaced {report.unplaced[:5]}, "
                         f"missing {report.missing[:5]}")
    model.backbone.weights_source = meta.get("backbone_weights", "checkpoint")
    return model.to(device or "cpu").eval(), meta


__all__ = ["LoadReport", "checkpoint_filter_fn", "load_checkpoint", "save_checkpoint", "load_model"]
