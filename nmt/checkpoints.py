"""The contract by which the core gets a trained model out of a training run's checkpoint.

The checkpoint's format (a Lightning checkpoint, the LightningModule's attribute names) is
`training`'s knowledge: the core never reads one itself. The export and run evaluation take a
`CheckpointLoader` as an argument, and the `nmt export` / `nmt evaluate` commands, registered by
`training.commands`, pass `training.checkpoint.load_checkpoint`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from nmt.config import TrainConfig
    from nmt.model.seq2seq import Seq2Seq


class CheckpointLoader(Protocol):
    """`loader(path) -> (the run's TrainConfig, its Seq2Seq with the weights, in eval mode)`.

    Contract: raises an `nmt.errors.NmtError` (a refusal) when `path` is not a checkpoint of
    this project or its weights do not fit its config.
    """

    def __call__(self, path: Path, /) -> tuple[TrainConfig, Seq2Seq]: ...
