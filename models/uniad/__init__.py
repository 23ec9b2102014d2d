"""UniAD — unified multi-class anomaly detection (You et al., NeurIPS 2022), our PyTorch implementation.

Paper: https://arxiv.org/abs/2206.03687. Command line: ``python -m models.uniad --help`` from the repo root.
"""
from .configs import PRESETS, TrainConfig, UniADConfig, ablation_overrides, get_preset
from .model import UniAD, build_model, reconstruction_loss

__all__ = ["UniAD", "UniADConfig", "TrainConfig", "PRESETS", "get_preset", "ablation_overrides", "build_model",
           "reconstruction_loss"]
