"""The UniAD reconstruction transformer (§3.2-§3.3).

Encoder: post-norm self-attention layers over the feature tokens. Decoder: the layer-wise query decoder,
where every layer owns a learned query that first attends to the encoder output and then to the previous
layer's output, so the query — not the input — drives reconstruction. Neighbor masks apply to all three
attentions. Module names mirror the official code so its checkpoints map one to one.
"""
from __future__ import annotations

import copy
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class LearnedPositionEmbedding(nn.Module):
    """2-D learned position embedding: column and row tables of ``dim // 2`` each, concatenated (col, row).

    Args:
        height: Grid rows.
        width: Grid columns.
        dim: Output width.
    """

    def __init__(self, height: int, width: int, dim: int) -> None:
        super().__init__()
        self.row_embed = nn.Embedding(height, dim // 2)
        self.col_embed = nn.Embedding(width, dim // 2)
        nn.init.uniform_(self.row_embed.weight)
        nn.init.uniform_(self.col_embed.weight)

    def forward(self) -> Tensor:
        """Returns ``[H*W, dim]`` in row-major token order."""
        h, w = self.row_embed.num_embeddings, self.col_embed.num_embeddings
        col = self.col_embed.weight.unsqueeze(0).expand(h, -1, -1)
        row = self.row_embed.weight.unsqueeze(1).expand(-1, w, -1)
        return torch.cat([col, row], dim=-1).flatten(0, 1)


class EncoderLayer(nn.Module):
    """Post-norm encoder layer; position is added to queries and keys only (DETR style).

    Args:
        dim: Token width.
        num_heads: Attention heads.
        ffn_dim: Feed-forward inner width.
        dropout: Dropout rate.
    """

    def __init__(self, dim: int, num_heads: int, ffn_dim: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(dim, ffn_dim)
        self.linear2 = nn.Linear(ffn_dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x: Tensor, pos: Tensor, mask: Optional[Tensor]) -> Tensor:
        qk = x + pos
        x = self.norm1(x + self.dropout1(self.self_attn(qk, qk, x, attn_mask=mask, need_weights=False)[0]))
        ffn = self.linear2(self.dropout(F.relu(self.linear1(x))))
        return self.norm2(x + self.dropout2(ffn))


class DecoderLayer(nn.Module):
    """Decoder layer, with (§3.3 layer-wise query) or without its own learned query.

    With ``num_queries``: attention 1 lets this layer's query read the encoder output; attention 2 lets the
    result read the previous decoder layer's output. Without (ablation): a plain post-norm decoder layer —
    self-attention over the incoming stream, then cross-attention to the encoder output.

    Args:
        dim: Token width.
        num_heads: Attention heads.
        ffn_dim: Feed-forward inner width.
        dropout: Dropout rate.
        num_queries: Tokens per image when the layer owns a query; ``None`` for the plain decoder.
    """

    def __init__(self, dim: int, num_heads: int, ffn_dim: int, dropout: float,
                 num_queries: Optional[int] = None) -> None:
        super().__init__()
        self.learned_embed = nn.Embedding(num_queries, dim) if num_queries else None
        self.self_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.multihead_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(dim, ffn_dim)
        self.linear2 = nn.Linear(ffn_dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self, stream: Tensor, memory: Tensor, pos: Tensor, mask1: Optional[Tensor],
                mask2: Optional[Tensor]) -> Tensor:
        """Args: ``stream`` previous layer output (or the decoder input), ``memory`` encoder output."""
        if self.learned_embed is not None:
            query = self.learned_embed.weight.unsqueeze(0).expand(memory.shape[0], -1, -1)
            attn1_kv, attn2_kv = memory, stream
        else:
            query = stream
            attn1_kv, attn2_kv = stream, memory
        x = self.self_attn(query + pos, attn1_kv + pos, attn1_kv, attn_mask=mask1, need_weights=False)[0]
        x = self.norm1(query + self.dropout1(x))
        y = self.multihead_attn(x + pos, attn2_kv + pos, attn2_kv, attn_mask=mask2, need_weights=False)[0]
        x = self.norm2(x + self.dropout2(y))
        ffn = self.linear2(self.dropout(F.relu(self.linear1(x))))
        return self.norm3(x + self.dropout3(ffn))


class Encoder(nn.Module):
    """A stack of ``EncoderLayer`` (post-norm, so no final norm)."""

    def __init__(self, layer: EncoderLayer, num_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(num_layers))

    def forward(self, x: Tensor, pos: Tensor, mask: Optional[Tensor]) -> Tensor:
        for layer in self.layers:
            x = layer(x, pos, mask)
        return x


class Decoder(nn.Module):
    """A stack of ``DecoderLayer`` plus a final LayerNorm.

    Args:
        layer: Prototype layer (deep-copied).
        num_layers: Depth.
        dim: Token width.
        num_queries: Tokens per image; needed only for the plain decoder's single shared query.
    """

    def __init__(self, layer: DecoderLayer, num_layers: int, dim: int, num_queries: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(num_layers))
        self.norm = nn.LayerNorm(dim)
        # Ablation: one learned query enters the first layer only, as in a DETR-style decoder.
        self.query_embed = nn.Embedding(num_queries, dim) if layer.learned_embed is None else None

    def forward(self, memory: Tensor, pos: Tensor, mask1: Optional[Tensor], mask2: Optional[Tensor]) -> Tensor:
        if self.query_embed is not None:
            stream = self.query_embed.weight.unsqueeze(0).expand(memory.shape[0], -1, -1)
        else:
            stream = memory
        for layer in self.layers:
            stream = layer(stream, memory, pos, mask1, mask2)
        return self.norm(stream)


class Transformer(nn.Module):
    """Encoder + decoder with the shared (constant) neighbor mask.

    Args:
        dim: Token width.
        num_heads: Attention heads.
        num_encoder_layers: Encoder depth.
        num_decoder_layers: Decoder depth.
        ffn_dim: Feed-forward inner width.
        dropout: Dropout rate.
        num_queries: Tokens per image.
        layer_wise_query: §3.3 layer-wise query decoder (True) or the plain decoder ablation.
        attn_mask: Additive ``[L, L]`` float mask or ``None`` (no neighbor masking).
    """

    def __init__(self, dim: int, num_heads: int, num_encoder_layers: int, num_decoder_layers: int,
                 ffn_dim: int, dropout: float, num_queries: int, layer_wise_query: bool,
                 attn_mask: Optional[Tensor]) -> None:
        super().__init__()
        self.encoder = Encoder(EncoderLayer(dim, num_heads, ffn_dim, dropout), num_encoder_layers)
        dec_layer = DecoderLayer(dim, num_heads, ffn_dim, dropout, num_queries if layer_wise_query else None)
        self.decoder = Decoder(dec_layer, num_decoder_layers, dim, num_queries)
        # A buffer so it follows .to(device) and becomes one constant in the exported graph; not persistent
        # because it is derived from the config, and official checkpoints do not carry it.
        self.register_buffer("attn_mask", attn_mask, persistent=False)

    def forward(self, tokens: Tensor, pos: Tensor) -> Tensor:
        mask = self.attn_mask
        memory = self.encoder(tokens, pos, mask)
        return self.decoder(memory, pos, mask, mask)


__all__ = ["LearnedPositionEmbedding", "EncoderLayer", "DecoderLayer", "Encoder", "Decoder", "Transformer"]
