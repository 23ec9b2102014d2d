"""Training on N processes of this machine with PyTorch's launcher (``torchrun``, ``torch.distributed.run``):

    python -m models.uniad.launch --nproc 2 train --data DATA --out RUN ...      (any ``models.uniad`` arguments)

One process a GPU where torch sees GPUs (NCCL), else N CPU processes (gloo). The rendezvous is on 127.0.0.1 at a free
port, so two launches on one machine do not meet each other. Across machines, run ``torchrun`` itself on each
(``--nnodes``, ``--node_rank``, ``--master_addr``): ``train`` reads its place from the environment torchrun sets.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import List, Optional, Sequence


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the rendezvous binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def torchrun_args(nproc: int, port: int, argv: Sequence[str]) -> List[str]:
    """Arguments of ``torch.distributed.run`` for ``python -m models.uniad ARGV`` on ``nproc`` local processes.

    Underscore spellings: torch 1.13 knows only those, PyTorch 2.x takes both.
    """
    return ["--nnodes", "1", "--nproc_per_node", str(nproc), "--master_addr", "127.0.0.1", "--master_port", str(port),
            "-m", "models.uniad", *argv]


def _mend_std_parsing() -> None:
    """torch 1.13 (Debian's) on Python 3.11 cannot read its own default ``--redirects 0``: it finds the ``Std`` member
    by iterating the IntFlag, and Python 3.11 no longer yields the zero member there, so every launch fails with
    "'NoneType' object has no attribute 'get'". Look the value up directly instead; PyTorch 2.x needs nothing."""
    from torch.distributed.elastic.multiprocessing.api import Std
    if Std.from_str("0") is not None:
        return
    parse = Std.from_str
    Std.from_str = classmethod(lambda cls, vm: cls(int(vm)) if vm.isdigit() else parse(vm))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns the exit status (1 when a training process failed: its error is above)."""
    p = argparse.ArgumentParser(prog="python -m models.uniad.launch", description=__doc__.split("\n\n")[0])
    p.add_argument("--nproc", type=int, required=True, help="training processes on this machine (one a GPU)")
    p.epilog = "Every other argument is passed to python -m models.uniad, e.g. --threads 1 train --data ..."
    args, rest = p.parse_known_args(argv)
    if args.nproc < 1:
        p.error(f"--nproc must be at least 1, got {args.nproc}")
    # One machine: the processes talk over the loopback interface (gloo would otherwise pick the hostname's).
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main as torchrun
    _mend_std_parsing()
    try:
        torchrun(torchrun_args(args.nproc, free_port(), rest))
    except ChildFailedError as e:
        print(f"uniad launch: a training process failed: {e.get_first_failure()[1].message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
