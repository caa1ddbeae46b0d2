"""A tiny model learns to copy: torch + plain Adam, decoded by the NumPy greedy search.

Bounded by optimizer steps, never by wall time; a couple of seconds to ~20 s on 2 CPU cores.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from nmt.config import DecodingConfig
from nmt.model import Seq2Seq
from nmt.search.beam import beam_search
from nmt.search.greedy import greedy_search
from nmt.search.torch_backend import TorchStepModel
from nmt.tokenizer import BOS_ID, EOS_ID, PAD_ID
from tests.model.helpers import tiny_config

pytestmark = pytest.mark.slow

SYMBOLS = 10
FIRST = 4
STEPS = 250
BATCH = 64


def _sequences(rng: np.random.Generator, count: int) -> list[list[int]]:
    lengths = rng.integers(3, 9, size=count)  # 3..8
    return [rng.integers(FIRST, FIRST + SYMBOLS, size=n).tolist() for n in lengths]


def _pad(rows: list[list[int]]) -> torch.Tensor:
    out = torch.full((len(rows), max(map(len, rows))), PAD_ID, dtype=torch.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row)
    return out


def _train(model: Seq2Seq, rng: np.random.Generator) -> float:
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    loss = torch.tensor(0.0)
    for _ in range(STEPS):
        seqs = _sequences(rng, BATCH)
        src = _pad(seqs)
        lengths = torch.tensor([len(s) for s in seqs])
        tgt_in = _pad([[BOS_ID, *s] for s in seqs])
        tgt_out = _pad([[*s, EOS_ID] for s in seqs])
        log_probs = model(src, lengths, tgt_in)
        loss = F.nll_loss(log_probs.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD_ID)
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    return float(loss.detach())


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny matrices gain nothing from threads, and on a busy machine a second spinning thread
    can make each op many times slower; restore the caller's setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("one_thread")
def test_tiny_model_learns_to_copy() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    cfg = tiny_config(
        vocab_size=FIRST + SYMBOLS, emb_dim=32, enc_hidden=32, enc_layers=1, dec_hidden=64
    )
    model = Seq2Seq(cfg)
    final_loss = _train(model, rng)

    tests = _sequences(np.random.default_rng(123), 200)
    src = _pad(tests).numpy()
    lengths = np.array([len(s) for s in tests], dtype=np.int64)
    results = greedy_search(
        TorchStepModel(model),
        src,
        lengths,
        bos_id=BOS_ID,
        eos_id=EOS_ID,
        cfg=DecodingConfig(mode="greedy", max_length_ratio=1.0, max_length_extra=3),
    )
    exact = np.mean([hyps[0].tokens == seq for hyps, seq in zip(results, tests, strict=True)])
    print(f"copy task: final loss {final_loss:.4f}, exact match {exact:.1%}")
    assert exact >= 0.9
    # Attention learns the diagonal: token i looks mostly at source position i.
    hyp = results[0][0]
    assert hyp.finished and hyp.attention.shape == (len(tests[0]), len(tests[0]))
    assert (hyp.attention.argmax(1) == np.arange(len(tests[0]))).mean() >= 0.75

    # The same backend under beam search (reorder, beam expansion, early stop) on a slice.
    beam_cfg = DecodingConfig(mode="beam", beam_size=4, max_length_ratio=1.0, max_length_extra=3)
    beams = beam_search(
        TorchStepModel(model), src[:50], lengths[:50], bos_id=BOS_ID, eos_id=EOS_ID, cfg=beam_cfg
    )
    beam_exact = np.mean([hyps[0].tokens == seq for hyps, seq in zip(beams, tests, strict=False)])
    assert beam_exact >= 0.9
