"""Random crop with zero padding and horizontal flip, as tensor ops on whole batches.

The standard CIFAR augmentation (torchvision's ``RandomCrop(32, padding=4)`` then
``RandomHorizontalFlip()``), done on a batch where its images live: on a GPU worker the
data set stays on the device and one gather cuts every crop, so no CPU loader stands
between the data and the model.

The draws (one offset pair and one flip per image) come from a CPU ``torch.Generator``
and are a few hundred bytes, so the same generator gives the same crops and flips on
every device: a trajectory augments alike on a CPU and a GPU worker, and a resumed one
(the runner seeds the generator by data seed and step) draws what it drew before.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional

__all__ = ["CropFlip", "crop_and_flip", "draw_crop_flip", "random_crop_flip"]


@dataclass(frozen=True)
class CropFlip:
    """Per image: ``offsets`` (N, 2) long, top and left corner of the crop in the padded
    image, each in 0…2·padding; ``flips`` (N,) bool, mirror the crop left to right."""

    offsets: torch.Tensor
    flips: torch.Tensor
    padding: int


def draw_crop_flip(count: int, padding: int, generator: torch.Generator) -> CropFlip:
    """Uniform offsets and fair flips for ``count`` images, drawn from ``generator``
    (a CPU generator: the draws are the same whatever device the images are on)."""
    offsets = torch.randint(0, 2 * padding + 1, (count, 2), generator=generator)
    flips = torch.randint(0, 2, (count,), generator=generator).bool()
    return CropFlip(offsets, flips, padding)


def crop_and_flip(images: torch.Tensor, draws: CropFlip) -> torch.Tensor:
    """``images`` (N, C, H, W), any dtype, on any device: each padded with ``padding``
    zeros on every side, cropped back to H×W at its offsets and mirrored where its flip
    says, in one gather on the images' device."""
    count, channels, height, width = images.shape
    if len(draws.flips) != count:
        raise ValueError(f"{len(draws.flips)} draws for {count} images")
    device, pad = images.device, draws.padding
    padded = functional.pad(images, (pad, pad, pad, pad)) if pad else images
    offsets, flips = draws.offsets.to(device), draws.flips.to(device)
    rows = offsets[:, :1] + torch.arange(height, device=device)  # (N, H)
    columns = torch.arange(width, device=device).expand(count, width)
    columns = torch.where(flips[:, None], width - 1 - columns, columns) + offsets[:, 1:]
    return padded[
        torch.arange(count, device=device)[:, None, None, None],
        torch.arange(channels, device=device)[None, :, None, None],
        rows[:, None, :, None],
        columns[:, None, None, :],
    ]


def random_crop_flip(
    images: torch.Tensor, padding: int, generator: torch.Generator
) -> torch.Tensor:
    """:func:`crop_and_flip` with draws from ``generator``."""
    return crop_and_flip(images, draw_crop_flip(len(images), padding, generator))
