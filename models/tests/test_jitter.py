"""Feature jitter (UniAD §3.4): noise ~ N(0, (‖f‖/C·scale)²) per token, training only."""
import torch

from models.uniad.jitter import FeatureJitter, feature_jitter


def test_noise_mean_zero_and_per_token_std_matches_norm():
    torch.manual_seed(0)
    c, scale = 272, 20.0
    tokens = torch.randn(4, 8, c) * torch.linspace(0.5, 5.0, 8).view(1, 8, 1)
    noise = torch.stack([feature_jitter(tokens, scale) - tokens for _ in range(200)])  # [200, 4, 8, C]
    expected = tokens.norm(dim=-1) / c * scale  # [4, 8]
    std = noise.std(dim=(0, 3))
    assert torch.allclose(std, expected, rtol=0.03)
    assert noise.mean().abs() < 0.01 * expected.mean()


def test_module_jitters_in_training_and_is_identity_in_eval():
    jitter = FeatureJitter(scale=20.0, prob=1.0)
    x = torch.randn(2, 16, 32)
    jitter.train()
    assert not torch.equal(jitter(x), x)
    jitter.eval()
    assert torch.equal(jitter(x), x)


def test_prob_zero_never_jitters():
    jitter = FeatureJitter(prob=0.0).train()
    x = torch.randn(2, 16, 32)
    assert torch.equal(jitter(x), x)
