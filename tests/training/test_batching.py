from __future__ import annotations

import numpy as np

from nmt.tokenizer import BOS_ID, EOS_ID, PAD_ID
from training.batching import TokenBudgetSampler, collate


def _lengths(n: int = 500, seed: int = 0) -> list[int]:
    return np.random.default_rng(seed).integers(1, 60, n).tolist()


def test_every_index_once_and_budget_respected() -> None:
    lengths = _lengths()
    sampler = TokenBudgetSampler(
        lengths, max_tokens=400, max_sentences=32, bucket_width=2, shuffle=True, seed=1
    )
    batches = list(sampler)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(len(lengths)))
    padded = 0
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) <= 32 and (len(batch) == 1 or longest * len(batch) <= 400)
        padded += longest * len(batch)
    # length bucketing: padding adds under 10% to the real tokens
    assert padded / sum(lengths) < 1.10


def test_epochs_reshuffle_reproducibly() -> None:
    def make():
        return TokenBudgetSampler(
            _lengths(),
            max_tokens=400,
            max_sentences=32,
            bucket_width=2,
            shuffle=True,
            seed=1,
        )

    a, b = make(), make()
    assert list(a) == list(b)
    a.set_epoch(1)
    assert list(a) != list(b)


def test_ranks_get_disjoint_equal_shares() -> None:
    kw = {"max_tokens": 400, "max_sentences": 32, "bucket_width": 2, "shuffle": True, "seed": 3}
    r0 = list(TokenBudgetSampler(_lengths(), rank=0, world_size=2, **kw))
    r1 = list(TokenBudgetSampler(_lengths(), rank=1, world_size=2, **kw))
    assert len(r0) == len(r1) > 0
    assert not {i for b in r0 for i in b} & {i for b in r1 for i in b}


def test_collate_shifts_target_and_pads() -> None:
    rows = [
        (np.array([5, 6, EOS_ID]), np.array([7, EOS_ID])),
        (np.array([8, EOS_ID]), np.array([9, 10, 11, EOS_ID])),
    ]
    batch = collate(rows)
    assert batch["src"].tolist() == [[5, 6, EOS_ID], [8, EOS_ID, PAD_ID]]
    assert batch["src_lengths"].tolist() == [3, 2]
    assert batch["tgt_in"].tolist() == [[BOS_ID, 7, PAD_ID, PAD_ID], [BOS_ID, 9, 10, 11]]
    assert batch["tgt_out"].tolist() == [[7, EOS_ID, PAD_ID, PAD_ID], [9, 10, 11, EOS_ID]]


def test_resume_continues_the_epoch() -> None:
    kw = {"max_tokens": 400, "max_sentences": 32, "bucket_width": 2, "shuffle": True, "seed": 5}
    full = list(TokenBudgetSampler(_lengths(), **kw))
    first = TokenBudgetSampler(_lengths(), **kw)
    it = iter(first)
    head = [next(it) for _ in range(4)]
    state = first.state_dict()
    assert state == {"epoch": 0, "consumed": 4}
    second = TokenBudgetSampler(_lengths(), **kw)
    second.load_state_dict(state)
    second.set_epoch(0)
    assert head + list(second) == full
    assert list(second) == full  # the skip applies to the resumed epoch only
