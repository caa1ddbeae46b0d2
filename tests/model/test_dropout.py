"""Word dropout, variational embedding dropout, and the masks drawn in one call (the
distribution of nn.Dropout, one mask per step)."""

from __future__ import annotations

import torch

from nmt.model.dropout import StepDropout, dropout_mask
from nmt.model.embeddings import variational_dropout, word_dropout
from nmt.tokenizer import BOS_ID, EOS_ID, PAD_ID, UNK_ID
from tests.model.helpers import padded_batch, target_input, tiny_model


def _targets() -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    tokens = torch.randint(4, 40, (200, 30), generator=gen)
    tokens[:, 0] = BOS_ID
    tokens[:, 20] = EOS_ID
    tokens[:, 21:] = PAD_ID
    return tokens


def test_word_dropout_spares_pad_bos_eos_and_hits_words_at_its_rate() -> None:
    tokens = _targets()
    original = tokens.clone()
    torch.manual_seed(0)
    dropped = word_dropout(tokens, 0.25, training=True)
    assert torch.equal(tokens, original)  # the input is never modified
    special = (original == PAD_ID) | (original == BOS_ID) | (original == EOS_ID)
    assert torch.equal(dropped[special], original[special])
    changed = dropped != original
    assert torch.all(dropped[changed] == UNK_ID)
    rate = changed.sum().item() / (~special).sum().item()
    assert 0.22 < rate < 0.28


def test_word_dropout_is_off_in_eval_and_at_zero() -> None:
    tokens = _targets()
    assert word_dropout(tokens, 0.5, training=False) is tokens
    assert word_dropout(tokens, 0.0, training=True) is tokens


def test_model_applies_word_dropout_in_training_only(monkeypatch: object) -> None:
    model = tiny_model(word_dropout=0.5)
    src, lengths = padded_batch([5, 4])
    tgt = target_input(2, 6)
    seen: list[torch.Tensor] = []
    original = model.embeddings.embed_target

    def spy(ids: torch.Tensor) -> torch.Tensor:
        seen.append(ids.clone())
        return original(ids)

    model.embeddings.embed_target = spy  # type: ignore[method-assign]
    model(src, lengths, tgt)
    assert torch.equal(seen[-1], tgt)
    model.train()
    torch.manual_seed(0)
    model(src, lengths, tgt)
    assert (seen[-1] == UNK_ID).any() and torch.all(seen[-1][:, 0] == BOS_ID)


def test_variational_dropout_uses_one_mask_across_time() -> None:
    torch.manual_seed(0)
    x = torch.ones(8, 12, 32)
    y = variational_dropout(x, 0.5, training=True)
    # Every time step of a sentence sees the same mask: each unit is all-0 or all-2 over time.
    assert torch.equal(y, y[:, :1].expand_as(y))
    assert set(torch.unique(y).tolist()) == {0.0, 2.0}
    assert not torch.equal(y[0], y[1])  # but masks differ between sentences
    assert variational_dropout(x, 0.5, training=False) is x


def test_mask_values_and_rate() -> None:
    torch.manual_seed(0)
    like = torch.zeros(1, dtype=torch.float32)
    mask = dropout_mask((200, 1000), 0.3, like)
    assert mask.dtype == torch.float32 and mask.shape == (200, 1000)
    values = set(mask.unique().tolist())
    assert values == {0.0, torch.tensor(1 / 0.7).item()}  # inverted dropout scale
    assert abs((mask == 0).float().mean().item() - 0.3) < 0.005
    assert abs(mask.mean().item() - 1.0) < 0.01  # expectation kept


def test_mask_takes_the_dtype_of_like() -> None:
    mask = dropout_mask((4, 5), 0.5, torch.zeros(1, dtype=torch.bfloat16))
    assert mask.dtype == torch.bfloat16


def test_step_dropout_draws_one_independent_mask_per_step() -> None:
    torch.manual_seed(0)
    steps = 6
    drop = StepDropout(0.5, steps, training=True)
    x = torch.ones(8, 1, 64)
    outs = [drop(x, t) for t in range(steps)]
    assert all(o.shape == x.shape for o in outs)
    assert drop(x, 2).equal(outs[2])  # the same step reuses its mask
    zero_sets = [o.eq(0).flatten() for o in outs]
    for a in range(steps):
        for b in range(a + 1, steps):
            assert not zero_sets[a].equal(zero_sets[b])  # fresh mask per step
    assert abs(torch.stack(outs).mean().item() - 1.0) < 0.1


def test_step_dropout_is_identity_in_eval_or_at_zero() -> None:
    x = torch.randn(3, 1, 4)
    assert StepDropout(0.5, 2, training=False)(x, 1) is x
    assert StepDropout(0.0, 2, training=True)(x, 0) is x
