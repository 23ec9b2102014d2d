"""Unified training: one model over the normal images of every class (UniAD §3, §4.1 recipe).

The transformer trains on cached backbone features (``features.py``); the loss is the MSE between the
reconstruction of jittered tokens and the clean features (§3.4). Recipe defaults (official config):
AdamW lr 1e-4, weight decay 1e-4, StepLR(800, 0.1), 1000 epochs, batch 8, gradient-norm clip 0.1.

One process or several (``torchrun``, DistributedDataParallel: distributed.py) take the same steps. Every random draw
of a step is a function of the seed and the step, not of the process: the batch order of an epoch comes from
``(seed, epoch)``, the jitter noise of a global batch from ``(seed, step)`` (drawn whole, each process adds its rows),
and each process's loss is scaled so that DDP's gradient average is the gradient of the global batch's mean loss.
Only dropout draws from each process's own stream, seeded by ``(seed, epoch, rank)``: with dropout 0 a run on N
processes gives the weights of a one-process run to float rounding (models/tests/test_distributed.py). The same
derivation makes ``--resume`` exact without storing random states.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from . import distributed
from .backbones import is_random_init
from .checkpoint import load_checkpoint, save_checkpoint
from .configs import TrainConfig, UniADConfig
from .curves import curve_recorder
from .data import summarize, test_records, train_records
from .distributed import SINGLE, World
from .features import cached_features
from .model import UniAD
from .tiles import TileSpec

CHECKPOINT_NAME = "last.pt"

_logger = logging.getLogger(__name__)

# A progress event: {"event": "step" | "epoch" | ..., ...}; train() reports through one of these.
Progress = Callable[[Dict[str, Any]], None]


class RandomBackboneError(ValueError):
    """The backbone has no pretrained weights and the caller did not allow a random one."""


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


def derived_seed(seed: int, *parts: Any) -> int:
    """A 63-bit seed from ``seed`` and ``parts``, the same in every process (Python's own ``hash`` is not)."""
    digest = hashlib.sha256(json.dumps([seed, *parts]).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


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


def epoch_order(count: int, seed: int, epoch: int) -> Tensor:
    """The shuffled order of ``count`` training items in ``epoch``."""
    return torch.randperm(count, generator=torch.Generator().manual_seed(derived_seed(seed, "order", epoch)))


def jitter_noise(model: UniAD, batch: int, seed: int, step: int) -> Optional[Tensor]:
    """The standard-normal jitter draw of a global batch at ``step`` (zeros when the jitter probability skips it);
    None when the model has no jitter."""
    jitter = model.reconstruction.jitter
    if jitter is None:
        return None
    gen = torch.Generator().manual_seed(derived_seed(seed, "jitter", step))
    apply = torch.rand((), generator=gen).item() < jitter.prob
    shape = (batch, *model.reconstruction.token_shape)
    return torch.randn(shape, generator=gen) if apply else torch.zeros(shape)


def train_on_features(model: UniAD, features: Tensor, tcfg: TrainConfig, epochs: Optional[int] = None,
                      start_epoch: int = 0, state: Optional[Dict[str, Any]] = None,
                      on_epoch: Optional[Callable[[int, float, Dict[str, Any]], None]] = None,
                      device: Optional[str] = None, world: World = SINGLE,
                      progress: Optional[Progress] = None) -> List[float]:
    """Trains ``model.reconstruction`` on ``features`` ``[N, C, h, w]`` (every process holds all of them).

    Args:
        model: Model to train in place.
        features: Cached aligned features.
        tcfg: Recipe; ``batch_size`` is the global batch, split over the processes.
        epochs: Last epoch to reach (default ``tcfg.epochs``).
        start_epoch: Epochs already done (resume).
        state: Optimizer/scheduler state from a checkpoint, to resume exactly.
        on_epoch: Called after each epoch with ``(epoch, loss, training_state)``; the state is what a
            checkpoint must store to resume.
        device: Where to train; default: the model's device.
        world: The processes of a distributed run (distributed.py); one by default.
        progress: Receives a ``step`` event after every optimisation step (rank 0 only); default: a tqdm bar.

    Returns:
        Mean loss per epoch run (the same on every process).
    """
    device = device or next(model.reconstruction.parameters()).device.type
    epochs = tcfg.epochs if epochs is None else epochs
    if state is None and start_epoch == 0:
        model.fit_tap_scale(features)
    features = model.balance(features)
    optimizer = make_optimizer(model, tcfg)
    scheduler = make_scheduler(optimizer, tcfg)
    if state:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
    net: torch.nn.Module = model.reconstruction
    if world.size > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            net, device_ids=[torch.device(device).index] if device.startswith("cuda") else None)
    count, batch = features.shape[0], tcfg.batch_size
    per_image = features[0].numel()
    steps = math.ceil(count / batch)
    losses: List[float] = []
    bar = tqdm(total=(epochs - start_epoch) * steps, desc="train", unit="step",
               disable=progress is not None or not world.main)
    model.train()
    for epoch in range(start_epoch, epochs):
        torch.manual_seed(derived_seed(tcfg.seed, "dropout", epoch, world.rank))
        order = epoch_order(count, tcfg.seed, epoch)
        squared = torch.zeros((), dtype=torch.float64)
        for step in range(steps):
            rows = order[step * batch:(step + 1) * batch]
            part = distributed.shard(len(rows), world)
            mine = rows[part]
            noise = jitter_noise(model, len(rows), tcfg.seed, epoch * steps + step)
            if len(mine) == 0:
                # More processes than rows in the epoch's last batch: this one still runs a step (DDP averages the
                # gradients of every process), on any row, with a zero loss.
                feature = features[rows[:1]].to(device)
                loss = net(feature, None if noise is None else noise[:1].to(device)).sum() * 0.0
            else:
                feature = features[mine].to(device)
                out = net(feature, None if noise is None else noise[part].to(device))
                sq = ((out - feature) ** 2).sum()
                # DDP averages over processes: scaled so the average is the gradient of the global batch's mean.
                loss = sq * (world.size / (len(rows) * per_image))
                squared += sq.detach().double().cpu()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.reconstruction.parameters(), tcfg.clip_grad_norm)
            optimizer.step()
            bar.update()
            if progress is not None and world.main:
                progress({"event": "step", "epoch": epoch + 1, "epochs": epochs, "step": epoch * steps + step + 1,
                          "steps": epochs * steps})
        scheduler.step()
        loss_value = float(distributed.all_sum(squared.to(device), world)) / (count * per_image)  # NCCL: on the GPU
        losses.append(loss_value)
        bar.set_postfix(loss=f"{loss_value:.5f}", lr=f"{scheduler.get_last_lr()[0]:.1e}")
        if world.main:
            if progress is not None:
                progress({"event": "epoch", "epoch": epoch + 1, "epochs": epochs, "loss": loss_value,
                          "lr": scheduler.get_last_lr()[0]})
            else:
                tqdm.write(f"epoch {epoch + 1}/{epochs} loss {loss_value:.6f}")
        if on_epoch is not None:
            on_epoch(epoch + 1, loss_value, {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()})
    bar.close()
    model.eval()
    return losses


def _warn_random(model: UniAD) -> str:
    """Logs the warning for a random backbone loudly; returns its text."""
    banner = "!" * 78
    text = (f"{banner}\nTRAINING ON A RANDOMLY INITIALISED BACKBONE ({model.cfg.backbone}, --allow-random-backbone): "
            "the features carry no\npretrained knowledge, so the model detects little better than chance "
            "(docs/accuracy.md §5:\n49.0 image AUROC against 80.8 pretrained). For tests and ablations only.\n"
            f"{banner}")
    _logger.warning("\n%s", text)
    return text


def _refuse_random(model: UniAD) -> RandomBackboneError:
    return RandomBackboneError(
        f"the backbone {model.cfg.backbone} has no pretrained weights: a randomly initialised backbone makes a "
        "detector at chance level (docs/accuracy.md §5: 49.0 image AUROC against 80.8 with the pretrained one). "
        "Pass --weights FILE (models/README.md, 'Backbones', says how to get each network's file), or "
        "--allow-random-backbone to train on random features anyway (tests, ablations)")


def train(data_root: str, out_dir: str, cfg: UniADConfig, tcfg: TrainConfig,
          backbone_weights: Optional[str] = None, classes: Optional[Sequence[str]] = None,
          resume: bool = False, cache_dir: Optional[str] = None, device: Optional[str] = None,
          val_root: Optional[str] = None, eval_every: int = 0, allow_random_backbone: bool = False,
          world: World = SINGLE, progress: Optional[Progress] = None, tiles: Optional[TileSpec] = None) -> TrainResult:
    """Trains one unified model on ``<data_root>/<class>/train/good`` of every class.

    Args:
        data_root: MVTec-AD-layout root.
        out_dir: Receives ``last.pt`` every ``tcfg.checkpoint_every`` epochs and at the end.
        cfg: Model configuration (preset plus overrides, ablation switches included).
        tcfg: Training recipe.
        backbone_weights: Local pretrained weights for the backbone (``None``: random init, refused unless allowed).
        classes: Subset of classes (default: all found).
        resume: Continue from ``<out_dir>/last.pt`` (same ``cfg`` required) up to ``tcfg.epochs``.
        cache_dir: Feature cache folder (default ``<data_root>/.uniad-cache``).
        device: ``cpu`` or ``cuda``; default: cuda when available (each process of a distributed run its own GPU).
        val_root: A validation build (another seed than the reported test split): with ``eval_every`` > 0, image
            and pixel AUROC on its ``test`` images every ``eval_every`` epochs go to ``<out_dir>/curve.json`` and
            into the checkpoint's meta (``curve``).
        eval_every: Epochs between learning-curve points (0: none).
        allow_random_backbone: Train even when the backbone has no pretrained weights (warned loudly); otherwise
            that is a ``RandomBackboneError``, because such a model detects at chance level.
        world: The processes of a distributed run (``distributed.world_from_env()`` under torchrun).
        progress: Receives progress events (rank 0): ``device``, ``features``, ``step``, ``epoch``, ``curve``.
        tiles: Train on tiles of the images, cut as the runtime cuts a tiled region (tiles.py): for cameras whose
            regions are tiled, the images being whole camera frames. None: each image letterboxed whole.

    Returns:
        The checkpoint path, per-epoch losses and the model.
    """
    device = distributed.device_for(world, device)
    ckpt_path = os.path.join(out_dir, CHECKPOINT_NAME)
    records = train_records(data_root, classes)
    class_names = sorted({r.cls for r in records})
    seed_everything(tcfg.seed)
    model = UniAD(cfg, backbone_weights)
    report = progress if progress is not None and world.main else (lambda _event: None)
    if is_random_init(model.backbone):
        if not allow_random_backbone:
            raise _refuse_random(model)
        report({"event": "warning", "message": _warn_random(model)})
    report({"event": "device", "device": device, "processes": world.size,
            "name": torch.cuda.get_device_name(device) if device.startswith("cuda") else "cpu",
            "torch": torch.__version__, "threads": torch.get_num_threads()})
    if world.main:
        os.makedirs(out_dir, exist_ok=True)
    start_epoch, state, history = 0, None, []
    if resume and os.path.isfile(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location="cpu")
        if UniADConfig.from_dict(ckpt["config"]) != cfg:
            raise ValueError(f"{ckpt_path} was trained with another config; resume with the same options")
        load_checkpoint(model, ckpt)
        start_epoch, state, history = ckpt["epoch"], ckpt["training_state"], ckpt["meta"]["losses"]
    model.to(device)
    distributed.start(world, device)
    cache = cache_dir or os.path.join(data_root, ".uniad-cache")
    report({"event": "features", "images": len(records)})
    if world.local_rank != 0:  # one process a machine extracts and caches the features, the others read the cache
        distributed.barrier(world)
    features = cached_features(model, records, cache, tcfg.batch_size, device, tiles=tiles)
    if world.local_rank == 0:
        distributed.barrier(world)
    meta: Dict[str, Any] = {
        "classes": class_names,
        "data": {"root": os.path.abspath(data_root), "train_images": summarize(records),
                 **({"tiles": {"scale": tiles.scale, "overlap": tiles.overlap, "region": tiles.region,
                               "count": int(features.shape[0])}} if tiles else {})},
        "train": dict(tcfg.to_dict(), processes=world.size),
        "backbone_weights": model.backbone.weights_source,
        "losses": history,
    }

    record = None
    if val_root and eval_every > 0 and world.main:
        val_records = test_records(val_root, class_names)
        val_features = cached_features(model, val_records, os.path.join(val_root, ".uniad-cache"),
                                       tcfg.batch_size, device)
        meta["curve"], record = curve_recorder(model, val_features.to(device), val_records, eval_every, tcfg.epochs,
                                               os.path.join(out_dir, "curve.json"))
        meta["curve_data"] = os.path.abspath(val_root)

    def save(epoch: int, loss: float, training_state: Dict[str, Any]) -> None:
        meta["losses"].append(loss)
        if not world.main:
            return
        if record is not None:
            record(epoch, loss)
            point = meta["curve"][-1] if meta["curve"] else None
            if point is not None and point["epoch"] == epoch:
                report({"event": "curve", "epoch": epoch, "image": point["image"], "pixel": point["pixel"]})
        if epoch % tcfg.checkpoint_every == 0 or epoch == tcfg.epochs:
            save_checkpoint(ckpt_path, model, dict(meta, epochs_done=epoch), epoch=epoch,
                            training_state=training_state)

    try:
        losses = train_on_features(model, features, tcfg, start_epoch=start_epoch, state=state, on_epoch=save,
                                   device=device, world=world, progress=progress)
    finally:
        distributed.stop(world)
    if math.isnan(losses[-1] if losses else 0.0):
        raise FloatingPointError("training diverged (NaN loss); lower the learning rate")
    return TrainResult(ckpt_path, losses, model)


__all__ = ["train", "train_on_features", "make_optimizer", "make_scheduler", "seed_everything", "derived_seed",
           "epoch_order", "jitter_noise", "RandomBackboneError", "TrainResult", "CHECKPOINT_NAME"]
