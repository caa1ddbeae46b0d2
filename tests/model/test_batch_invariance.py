"""A sentence's encoding and decoding steps do not depend on its batch or its padding."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from nmt.tokenizer import BOS_ID, PAD_ID
from tests.model.helpers import VARIANTS, padded_batch, tiny_model, variant_id

ATOL = 1e-6


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_encode_and_steps_unchanged_by_longer_batch_mates(variant: dict[str, Any]) -> None:
    model = tiny_model(**variant)
    alone, alone_len = padded_batch([4], seed=3)  # [1, 4], no padding at all
    # The same sentence, now second in a batch whose longest sentence is 11: 7 more pads.
    others, _ = padded_batch([11, 2], width=11, seed=4)
    batch = torch.full((3, 11), PAD_ID)
    batch[0], batch[2] = others[0], others[1]
    batch[1, :4] = alone[0]
    lens = torch.tensor([11, 4, 2])

    single = model.encode(alone, alone_len)
    batched = model.encode(batch, lens)
    assert torch.allclose(batched["memory"][1, :4], single["memory"][0], atol=ATOL)
    assert not batched["memory"][1, 4:].any()  # exactly zero at padding
    for key in model.recurrent_keys:
        assert torch.allclose(batched[key][1], single[key][0], atol=ATOL), key

    prev_single = torch.tensor([BOS_ID])
    prev_batch = torch.tensor([BOS_ID, BOS_ID, BOS_ID])
    for token in (5, 9, 17, 23):
        lp_single, att_single, single = model.step(prev_single, single)
        lp_batch, att_batch, batched = model.step(prev_batch, batched)
        assert torch.allclose(lp_batch[1], lp_single[0], atol=ATOL)
        assert torch.allclose(att_batch[1, :4], att_single[0], atol=ATOL)
        assert not att_batch[1, 4:].any()
        prev_single = torch.tensor([token])
        prev_batch = torch.tensor([token + 1, token, token + 2])


def test_teacher_forced_rows_are_independent() -> None:
    model = tiny_model()
    src, lens = padded_batch([7, 3, 5], width=9)
    tgt = torch.randint(4, 40, (3, 6), generator=torch.Generator().manual_seed(0))
    tgt[:, 0] = BOS_ID
    full = model(src, lens, tgt)
    row = model(src[1:2, :3], lens[1:2], tgt[1:2])
    assert torch.allclose(full[1], row[0], atol=ATOL)
