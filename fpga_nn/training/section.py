"""The ``training:`` section the scan and suite YAMLs share: the keys every training loop takes."""

from __future__ import annotations

from dataclasses import dataclass

from .. import schema
from ..yamlconfig import checked


@dataclass(frozen=True)
class TrainingSection:
    epochs: int = checked(schema.Int(1))
    patience: int = checked(schema.Int(1))  # epochs without a better validation score
    batch_size: int = checked(schema.Int(1))
    learning_rate: float = checked(schema.Num(0, 1, lo_open=True))
