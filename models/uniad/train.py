"""Unified training: one model over the normal images of every class (UniAD §3, §4.1 recipe).

The transformer trains on cached backbone features (``features.py``); the loss is the MSE between the
reconstruction of jittered tokens and the clean features (§3.4). Recipe defaults (official config):
AdamW lr 1e-4, weight decay 1e-4, StepLR(800, 0.1), 1000 epochs, batch 8, gradient-norm clip 0.1.
"""
from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

from .checkpoint import load_checkpoint, save_checkpoint
from .configs import TrainConfig, UniADConfig
from .curves import curve_recorder
from .data import summarize, test_records, train_records
from .features import cached_features
from .model import UniAD, reconstruction_loss

CHECKPOINT_NAME = "last.pt"


@dataclass
class TrainResult:
    """Outcome of ``train``.

    Attributes:
        checkpoint: Path of the final checkpoint.
        losses: Mean training loss of every epoch run in this call.
        model: The trained model (eval mode).
    """

    checkpoint: str
    losses: List[float]
    model: UniAD


def seed_everything(seed: int) -> None:
    """Seeds Python, numpy and torch (initialisation, dropout and jitter)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_optimizer(model: UniAD, tcfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW over the reconstruction parameters only: the backbone is frozen."""
    return torch.optim.AdamW(model.reconstruction.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)


def make_scheduler(optimizer: torch.optim.Optimizer, tcfg: TrainConfig) -> torch.optim.lr_scheduler.StepLR:
    """Step decay of the learning rate, stepped once per epoch."""
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=tcfg.lr_step, gamma=tcfg.lr_gamma)


def train_epoch(model: UniAD, loader: DataLoader, optimizer: torch.optim.Optimizer, tcfg: TrainConfig,
                device: str) -> float:
    """One pass over cached features; returns the mean loss."""
    model.train()
    total, n = 0.0, 0
    for (feature,) in loader:
        feature = feature.to(device)
        loss = reconstruction_loss(model, feature)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.reconstruction.parameters(), tcfg.clip_grad_norm)
        optimizer.step()
        total += loss.item() * feature.shape[0]
        n += feature.shape[0]
    return total / max(n, 1)


def train_on_features(model: UniAD, features: Tensor, tcfg: TrainConfig, epochs: Optional[int] = None,
                      start_epoch: int = 0, state: Optional[Dict[str, Any]] = None,
                      on_epoch: Optional[Callable[[int, float, Dict[str, Any]], None]] = None,
                      device: Optional[str] = None) -> List[float]:
    """Trains ``model.reconstruction`` on ``features`` ``[N, C, h, w]``.

    Args:
        model: Model to train in place.
        features: Cached aligned features.
        tcfg: Recipe.
        epochs: Last epoch to reach (default ``tcfg.epochs``).
        start_epoch: Epochs already done (resume).
        state: Optimizer/scheduler/RNG state from a checkpoint, to resume exactly.
        on_epoch: Called after each epoch with ``(epoch, loss, training_state)``; the state is what a
            checkpoint must store to resume.
        device: Where to train; default: the model's device.

    Returns:
        Mean loss per epoch run.
    """
    device = device or next(model.reconstruction.parameters()).device.type
    epochs = tcfg.epochs if epochs is None else epochs
    optimizer = make_optimizer(model, tcfg)
    scheduler = make_scheduler(optimizer, tcfg)
    generator = torch.Generator().manual_seed(tcfg.seed)
    if state:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["loader_rng"])
        torch.set_rng_state(state["torch_rng"])
    loader = DataLoader(TensorDataset(features), batch_size=tcfg.batch_size, shuffle=True, generator=generator)
    losses: List[float] = []
    bar = tqdm(range(start_epoch, epochs), desc="train", unit="epoch", initial=start_epoch, total=epochs)
    for epoch in bar:
        loss = train_epoch(model, loader, optimizer, tcfg, device)
        scheduler.step()
        losses.append(loss)
        bar.set_postfix(loss=f"{loss:.5f}", lr=f"{scheduler.get_last_lr()[0]:.1e}")
        tqdm.write(f"epoch {epoch + 1}/{epochs} loss {loss:.6f}")
        if on_epoch is not None:
            on_epoch(epoch + 1, loss, {
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "loader_rng": generator.get_state(), "torch_rng": torch.get_rng_state(),
            })
    model.eval()
    return losses


def train(data_root: str, out_dir: str, cfg: UniADConfig, tcfg: TrainConfig,
          backbone_weights: Optional[str] = None, classes: Optional[Sequence[str]] = None,
          resume: bool = False, cache_dir: Optional[str] = None, device: Optional[str] = None,
          val_root: Optional[str] = None, eval_every: int = 0) -> TrainResult:
    """Trains one unified model on ``<data_root>/<class>/train/good`` of every class.

    Args:
        data_root: MVTec-AD-layout root.
        out_dir: Receives ``last.pt`` every ``tcfg.checkpoint_every`` epochs and at the end.
        cfg: Model configuration (preset plus overrides, ablation switches included).
        tcfg: Training recipe.
        backbone_weights: Local ImageNet weights for the backbone (``None``: random init, warned).
        classes: Subset of classes (default: all found).
        resume: Continue from ``<out_dir>/last.pt`` (same ``cfg`` required) up to ``tcfg.epochs``.
        cache_dir: Feature cache folder (default ``<data_root>/.uniad-cache``).
        device: ``cpu`` or ``cuda``; default: cuda when available.
        val_root: A validation build (another seed than the reported test split): with ``eval_every`` > 0, image
            and pixel AUROC on its ``test`` images every ``eval_every`` epochs go to ``<out_dir>/curve.json`` and
            into the checkpoint's meta (``curve``).
        eval_every: Epochs between learning-curve points (0: none).

    Returns:
        The checkpoint path, per-epoch losses and the model.
    """
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(out_dir, exist_ok=True)
    ckpt_path = os.path.join(out_dir, CHECKPOINT_NAME)
    records = train_records(data_root, classes)
    class_names = sorted({r.cls for r in records})
    seed_everything(tcfg.seed)
    model = UniAD(cfg, backbone_weights)
    start_epoch, state, history = 0, None, []
    if resume and os.path.isfile(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location="cpu")
        if UniADConfig.from_dict(ckpt["config"]) != cfg:
            raise ValueError(f"{ckpt_path} was trained with another config; resume with the same options")
        load_checkpoint(model, ckpt)
        start_epoch, state, history = ckpt["epoch"], ckpt["training_state"], ckpt["meta"]["losses"]
    model.to(device)
    features = cached_features(model, records, cache_dir or os.path.join(data_root, ".uniad-cache"),
                               tcfg.batch_size, device)
    meta: Dict[str, Any] = {
        "classes": class_names,
        "data": {"root": os.path.abspath(data_root), "train_images": summarize(records)},
        "train": tcfg.to_dict(),
        "backbone_weights": getattr(model.backbone, "weights_source", backbone_weights or "random-init"),
        "losses": history,
    }

    record = None
    if val_root and eval_every > 0:
        val_records = test_records(val_root, class_names)
        val_features = cached_features(model, val_records, os.path.join(val_root, ".uniad-cache"),
                                       tcfg.batch_size, device)
        meta["curve"], record = curve_recorder(model, val_features.to(device), val_records, eval_every, tcfg.epochs,
                                               os.path.join(out_dir, "curve.json"))
        meta["curve_data"] = os.path.abspath(val_root)

    def save(epoch: int, loss: float, training_state: Dict[str, Any]) -> None:
        meta["losses"].append(loss)
        if record is not None:
            record(epoch, loss)
        if epoch % tcfg.checkpoint_every == 0 or epoch == tcfg.epochs:
            save_checkpoint(ckpt_path, model, dict(meta, epochs_done=epoch), epoch=epoch,
                            training_state=training_state)

    losses = train_on_features(model, features, tcfg, start_epoch=start_epoch, state=state, on_epoch=save,
                               device=device)
    if math.isnan(losses[-1] if losses else 0.0):
        raise FloatingPointError("training diverged (NaN loss); lower the learning rate")
    return TrainResult(ckpt_path, losses, model)


__all__ = ["train", "train_on_features", "train_epoch", "make_optimizer", "make_scheduler", "seed_everything",
           "TrainResult", "CHECKPOINT_NAME"]
