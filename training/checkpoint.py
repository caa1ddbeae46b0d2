"""Reading a training checkpoint: a Lightning checkpoint of `training.system.TranslationSystem`.

The only place that knows the checkpoint's layout: the TrainConfig under
`hyper_parameters.config` and the Seq2Seq's weights under the LightningModule's `model.` prefix
(the raw weights in `state_dict`; with a weight average also `ema_state_dict`, and `weights`
naming the better one, which is what is returned).
`load_checkpoint` is the `nmt.checkpoints.CheckpointLoader` that the export and run evaluation
are given.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

from nmt.config import TrainConfig, from_dict
from nmt.errors import NmtError

if TYPE_CHECKING:
    from nmt.model.seq2seq import Seq2Seq

logger = logging.getLogger(__name__)


# TranslationSystem holds the Seq2Seq as `self.model`: its weights are `model.<name>`.
MODEL_PREFIX = "model."
# Written by `training.averaging.EmaWeights`: the averaged weights (same names) and which of the
# two ("ema" or "raw") scored better at the checkpoint's validation.
EMA_KEY = "ema_state_dict"
WEIGHTS_KEY = "weights"


class CheckpointError(NmtError, ValueError):
    """A file that is not a training checkpoint of this project, or whose weights do not fit
    its config; the message names the file."""


def load_checkpoint(path: Path) -> tuple[TrainConfig, Seq2Seq]:
    """A checkpoint -> (its TrainConfig, the Seq2Seq with its weights, in eval mode).

    torch is imported here, when called. Raises CheckpointError when `path` is not one.
    """
    import torch

    from nmt.model.seq2seq import Seq2Seq

    try:
        # weights_only: a checkpoint is plain data (tensors, numbers, strings); never run
        # pickled code from a file that could come from anywhere.
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        cfg = from_dict(TrainConfig, ckpt["hyper_parameters"]["config"])
        # With a weight average, the one that scored better at its validation (averaging.py).
        state = ckpt[EMA_KEY] if ckpt.get(WEIGHTS_KEY) == "ema" else ckpt["state_dict"]
        weights = {
            k.removeprefix(MODEL_PREFIX): v for k, v in state.items() if k.startswith(MODEL_PREFIX)
        }
    except (OSError, KeyError, TypeError, ValueError, RuntimeError, pickle.UnpicklingError) as err:
        raise CheckpointError(f"{path}: not a training checkpoint of this project: {err}") from err
    model = Seq2Seq(cfg.model)
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit the model config: {err}") from err
    logger.debug("loaded checkpoint %s", path)
    return cfg, model.eval()
