"""Lanes: a big batch searched as N row chunks at once, each on its own copy of the step model.

On a few cores, one search over a big batch with N intra-op threads spends much of each step in
the thread pool's hand-offs: each of the step's nodes (about 45, most of them small) is split
over the threads and joined again, and the search's NumPy work between two steps leaves the
other cores idle. N searches of B/N rows each, on their own ONNX Runtime sessions with 1/N of
the threads, run the same work with no hand-offs and overlap one lane's NumPy with the other's
graph: measured 0.87x the time at 32 sentences greedy and 0.84-0.94x beam 5 from 8 sentences
(int8, 2 vCPU, Intel Xeon with AMX), but slower below about 16 decoder rows a lane, where the
steps are too short to fill a core. So a batch is split, over all the lanes or none (an idle
lane would idle its cores), only when every lane gets whole sentences worth at least `min_rows`
decoder rows (sentences x beam size); smaller batches run whole on the `whole` model, which has
all the threads (batch-1 latency is unchanged).

Each lane is a complete `StepModel`, so the search code is the same and knows nothing of lanes.
Rows are split contiguously and the hypotheses come back in input order. fp32 graphs give the
same tokens either way (they are batch-invariant bit for bit); int8 graphs quantize their
activations per call with one scale per tensor, so, as with any change of batch composition, a
few outputs can differ.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from nmt.config import DecodingConfig
from nmt.search.protocol import Hypothesis, SearchCancelledError, StepModel, StopCheck

logger = logging.getLogger(__name__)

MIN_ROWS = 16
"""Fewest decoder rows a lane gets (measured: below it a lane is slower than the whole)."""


class Lanes:
    """`whole` (all threads) for small batches; `lanes` (N models, 1/N of the threads each) for
    big ones. N - 1 worker threads run lanes 1..N-1 while the caller's thread runs lane 0.

    Meant for one search at a time (file translation, evaluation, benchmarks): concurrent calls
    are correct (the step models are stateless and their sessions thread-safe) but queue for
    the same worker threads and cores. The server does not use lanes: its batcher already runs
    two batches at once, and lanes on top measured no gain there.
    """

    def __init__(
        self, whole: StepModel, lanes: Sequence[StepModel], *, min_rows: int = MIN_ROWS
    ) -> None:
        if len(lanes) < 2:
            raise ValueError(f"lanes need at least 2 models, got {len(lanes)}")
        if min_rows < 1:
            raise ValueError(f"min_rows must be >= 1, got {min_rows}")
        self.whole = whole
        self.lanes = tuple(lanes)
        self.min_rows = min_rows
        self._pool = ThreadPoolExecutor(len(lanes) - 1, thread_name_prefix="nmt-lane")
        self._closed = False

    def split(self, sentences: int, cfg: DecodingConfig) -> int:
        """How many lanes a batch of `sentences` takes: all of them when each lane's share of
        whole sentences holds at least `min_rows` decoder rows (greedy: a row a sentence; beam:
        `beam_size` rows), else 1 (the whole model, with all the threads). All or nothing: a
        lane left idle would leave its threads' cores idle too."""
        width = 1 if cfg.mode == "greedy" else cfg.beam_size
        per_lane = -(-self.min_rows // width)  # sentences a lane needs, rounded up
        return len(self.lanes) if sentences >= len(self.lanes) * per_lane else 1

    def search(
        self,
        src_ids: ArrayLike,
        src_lengths: ArrayLike,
        *,
        bos_id: int,
        eos_id: int,
        cfg: DecodingConfig,
        should_stop: StopCheck | None = None,
    ) -> list[list[Hypothesis]]:
        """`nmt.search.search` over the lanes: the same contract (B lists of hypotheses, input
        order; `SearchCancelledError` once `should_stop` says True). When one lane fails (or is
        interrupted), the others stop within a decoder step, and that first real error is
        raised once every lane has ended."""
        from nmt.search.dispatch import search  # here: dispatch imports this module

        if self._closed:
            raise RuntimeError("these lanes are closed")
        ids, lengths = np.asarray(src_ids), np.asarray(src_lengths)
        count = self.split(ids.shape[0], cfg)
        if count == 1:
            return search(
                self.whole, ids, lengths, bos_id=bos_id, eos_id=eos_id, cfg=cfg,
                should_stop=should_stop,
            )  # fmt: skip
        halt = threading.Event()

        def stopped() -> bool:
            return halt.is_set() or (should_stop is not None and should_stop())

        run = partial(search, bos_id=bos_id, eos_id=eos_id, cfg=cfg, should_stop=stopped)
        chunks = np.array_split(np.arange(ids.shape[0]), count)
        futures = [
            self._pool.submit(run, lane, ids[rows], lengths[rows])
            for lane, rows in zip(self.lanes[1:], chunks[1:], strict=True)
        ]

        def halt_on_error(done: Future[list[list[Hypothesis]]]) -> None:
            if done.exception() is not None:
                halt.set()

        for future in futures:
            future.add_done_callback(halt_on_error)
        first: list[list[Hypothesis]] = []
        failure: BaseException | None = None
        try:
            first = run(self.lanes[0], ids[chunks[0]], lengths[chunks[0]])
        except BaseException as err:  # every lane must end before it is raised (below)
            failure = err
            halt.set()
        errors = [future.exception() for future in futures]  # waits for every lane
        _raise_first(failure, errors)
        return first + [hyp for future in futures for hyp in future.result()]

    def close(self) -> None:
        """Stop the worker threads (idle ones exit; a running lane finishes first); a search
        after this raises RuntimeError."""
        self._closed = True
        self._pool.shutdown(wait=True)


def _raise_first(failure: BaseException | None, errors: list[BaseException | None]) -> None:
    """Raise the first real error of the lanes (lane 0's, then the others' in order) over a
    `SearchCancelledError` that the halt induced; a cancellation only when all were that."""
    found = [err for err in (failure, *errors) if err is not None]
    real = [err for err in found if not isinstance(err, SearchCancelledError)]
    if real or found:
        raise (real or found)[0]
