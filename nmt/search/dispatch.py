"""`search`: greedy or beam, as `DecodingConfig.mode` says."""

from __future__ import annotations

from numpy.typing import ArrayLike

from nmt.config import DecodingConfig
from nmt.search.beam import beam_search
from nmt.search.greedy import greedy_search
from nmt.search.lanes import Lanes
from nmt.search.protocol import Hypothesis, StepModel, StopCheck


def search(
    model: StepModel | Lanes,
    src_ids: ArrayLike,
    src_lengths: ArrayLike,
    *,
    bos_id: int,
    eos_id: int,
    cfg: DecodingConfig,
    should_stop: StopCheck | None = None,
) -> list[list[Hypothesis]]:
    """Decode a padded batch (src_ids int [B, S], src_lengths int [B]) with `cfg.mode`.

    Returns B lists of hypotheses, best first: one for greedy, `cfg.n_best` for beam.
    Raises `SearchCancelledError` once `should_stop` (asked between decoder steps) says True.
    A `Lanes` model splits a big batch over its lanes (see `nmt.search.lanes`).
    """
    if isinstance(model, Lanes):
        return model.search(
            src_ids, src_lengths, bos_id=bos_id, eos_id=eos_id, cfg=cfg, should_stop=should_stop
        )
    decode = greedy_search if cfg.mode == "greedy" else beam_search
    return decode(
        model, src_ids, src_lengths, bos_id=bos_id, eos_id=eos_id, cfg=cfg, should_stop=should_stop
    )
