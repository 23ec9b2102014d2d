"""Training on several processes with PyTorch's own engine: ``torchrun`` + DistributedDataParallel, as the official
UniAD trains (one process a GPU, NCCL; gloo on CPUs).

``torchrun`` starts the processes and tells each its place through the environment (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``); without it there is one process and nothing here touches ``torch.distributed``. The global batch is
split over the processes (``shard``), so a run on N processes takes the same optimisation steps as one process with
the same ``--batch-size`` (train.py says how every random draw is kept the same).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    """This process's place among the training processes.

    Attributes:
        rank: 0..size-1; rank 0 writes checkpoints and reports progress.
        size: Number of processes.
        local_rank: Index on this machine (the GPU this process uses).
    """

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """Whether this process writes files and progress (rank 0)."""
        return self.rank == 0


SINGLE = World()


def world_from_env() -> World:
    """The world ``torchrun`` describes in the environment, or one process without it."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return SINGLE
    return World(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_RANK", os.environ["RANK"])))


def device_for(world: World, requested: Optional[str]) -> str:
    """CUDA where torch sees a device (each process its own, by local rank), else the CPU; ``requested`` overrides."""
    device = requested or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and world.size > 1:
        if world.local_rank >= torch.cuda.device_count():
            raise ValueError(f"{world.size} processes on this machine but torch sees {torch.cuda.device_count()} GPUs: "
                             "start one process a GPU (--nproc), or train on the CPU (--device cpu)")
        return f"cuda:{world.local_rank}"
    return device


def backend_for(device: str) -> str:
    """NCCL between GPUs, gloo between CPU processes."""
    return "nccl" if device.startswith("cuda") else "gloo"


def start(world: World, device: str) -> None:
    """Joins the process group ``torchrun`` set up (no-op for one process)."""
    if world.size <= 1 or dist.is_initialized():
        return
    if device.startswith("cuda"):
        torch.cuda.set_device(device)
    dist.init_process_group(backend_for(device), rank=world.rank, world_size=world.size)


def stop(world: World) -> None:
    """Leaves the process group (no-op for one process)."""
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def barrier(world: World) -> None:
    """Waits for every process (no-op for one process)."""
    if world.size > 1:
        dist.barrier()


def all_sum(value: torch.Tensor, world: World) -> torch.Tensor:
    """The sum of ``value`` over every process (``value`` itself for one process)."""
    if world.size > 1:
        value = value.clone()
        dist.all_reduce(value)
    return value


def shard(count: int, world: World) -> slice:
    """This process's contiguous part of ``count`` items: sizes differ by at most one, earlier ranks take more."""
    base, extra = divmod(count, world.size)
    start_at = world.rank * base + min(world.rank, extra)
    return slice(start_at, start_at + base + (1 if world.rank < extra else 0))


__all__ = ["World", "SINGLE", "world_from_env", "device_for", "backend_for", "start", "stop", "barrier", "all_sum",
           "shard"]
