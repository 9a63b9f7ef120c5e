"""Character-level language modelling on a generated corpus: a task where lower is better.

The model reads ``sequence_length`` characters and predicts each next one; its test
metrics are the perplexity of the test text (exp of the mean next-character
cross-entropy; lower is better) and next-character accuracy. The corpus comes from
:mod:`shared.tasks.generated_text`, so the task runs offline anywhere; the first 90% of
the text trains, the rest tests. Defaults are laptop-sized (a 2-layer, 48-wide
Transformer on 2,000 sentences: two epochs of one trajectory take about 20 s on one
busy CPU core); ``width``,
``layers`` and ``corpus_sentences`` scale it up for GPU workers.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from shared.tasks.base import Task, TaskData
from shared.tasks.generated_text import generated_corpus
from shared.tasks.options import CharLMOptions

TRAIN_FRACTION = 0.9


def windows(codes: torch.Tensor, length: int) -> TensorDataset:
    """Non-overlapping windows of ``length`` + 1 characters: inputs are the first
    ``length``, targets the same shifted by one. Shapes (N, length), long."""
    count = (len(codes) - 1) // length
    if count < 1:
        raise ValueError(f"the text has fewer than {length + 1} characters")
    starts = torch.arange(count) * length
    index = starts[:, None] + torch.arange(length + 1)[None, :]
    chunks = codes[index]
    return TensorDataset(chunks[:, :-1].contiguous(), chunks[:, 1:].contiguous())


class CausalTransformer(nn.Module):
    """Token and position embeddings, pre-norm Transformer layers under a causal mask,
    and a linear read-out: (batch, sequence) codes → (batch, sequence, vocabulary) logits."""

    def __init__(self, vocabulary: int, width: int, layers: int, heads: int, length: int):
        super().__init__()
        self.tokens = nn.Embedding(vocabulary, width)
        self.positions = nn.Embedding(length, width)
        layer = nn.TransformerEncoderLayer(
            width, heads, 4 * width, dropout=0.0, batch_first=True, norm_first=True
        )
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.read_out = nn.Linear(width, vocabulary)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        length = codes.shape[1]
        positions = torch.arange(length, device=codes.device)
        hidden = self.tokens(codes) + self.positions(positions)[None]
        mask = nn.Transformer.generate_square_subsequent_mask(length, device=codes.device)
        hidden = self.layers(hidden, mask=mask, is_causal=True)
        return self.read_out(self.norm(hidden))


class CharLSTM(nn.Module):
    def __init__(self, vocabulary: int, width: int, layers: int):
        super().__init__()
        self.tokens = nn.Embedding(vocabulary, width)
        self.lstm = nn.LSTM(width, width, layers, batch_first=True)
        self.read_out = nn.Linear(width, vocabulary)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.lstm(self.tokens(codes))
        return self.read_out(hidden)


class CharLanguageModelTask(Task):
    """Next-character prediction on the generated corpus (perplexity, lower is better)."""

    name = "char_lm"
    options: CharLMOptions

    def load(self) -> TaskData:
        text = generated_corpus(self.options.corpus_sentences, self.options.data_seed)
        alphabet = sorted(set(text))
        lookup = {c: i for i, c in enumerate(alphabet)}
        codes = torch.tensor([lookup[c] for c in text], dtype=torch.long)
        cut = int(len(codes) * TRAIN_FRACTION)
        length = self.options.sequence_length
        return TaskData(
            windows(codes[:cut], length),
            windows(codes[cut:], length),
            num_labels=len(alphabet),
            label_names=alphabet,
        )

    def build_model(self, num_labels: int) -> nn.Module:
        o = self.options
        if o.architecture == "lstm":
            return CharLSTM(num_labels, o.width, o.layers)
        return CausalTransformer(num_labels, o.width, o.layers, o.heads, o.sequence_length)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean next-character cross-entropy over every position of the batch (nats)."""
        return nn.functional.cross_entropy(logits.flatten(0, -2), targets.flatten())

    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.argmax(dim=-1)

    def evaluate(
        self, targets: np.ndarray, predictions: np.ndarray, test_loss: float
    ) -> dict[str, float | None]:
        """Perplexity = exp(mean cross-entropy per character): every test window has the
        same length, so the runner's mean over windows is the mean over characters."""
        with np.errstate(over="ignore"):
            perplexity = float(np.exp(test_loss))
        return {
            "perplexity": perplexity,
            "next_token_accuracy": float((targets == predictions).mean()),
        }
