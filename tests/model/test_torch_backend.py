"""TorchStepModel: the NumPy StepModel protocol over a Seq2Seq."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nmt.model.seq2seq import STATIC_KEYS
from nmt.search.protocol import SENTENCE_KEY, StepModel, reorder_state
from nmt.search.torch_backend import TorchStepModel
from nmt.tokenizer import BOS_ID
from tests.model.helpers import VOCAB, padded_batch, tiny_model


def _backend(**overrides: object) -> tuple[TorchStepModel, np.ndarray, np.ndarray]:
    model = tiny_model(**overrides)  # type: ignore[arg-type]
    src, lengths = padded_batch([5, 2, 7], width=8)
    return TorchStepModel(model.train()), src.numpy(), lengths.numpy()


def test_encode_and_step_match_the_torch_model() -> None:
    backend, src, lengths = _backend()
    assert not backend.model.training  # put in eval mode by the backend
    protocol: StepModel = backend  # structural check (mypy) of the protocol
    state = protocol.encode(src, lengths)
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["src_mask"].dtype == np.bool_

    with torch.no_grad():
        ref = backend.model.encode(torch.from_numpy(src), torch.from_numpy(lengths))
    prev = np.full(3, BOS_ID, dtype=np.int64)
    for token in (7, 9, 11):
        log_probs, attention, state = protocol.step(prev, state)
        with torch.no_grad():
            ref_lp, ref_att, ref = backend.model.step(torch.from_numpy(prev), ref)
        assert log_probs.dtype == np.float32 and log_probs.shape == (3, VOCAB)
        assert attention.dtype == np.float32 and attention.shape == (3, 8)
        np.testing.assert_array_equal(log_probs, ref_lp.numpy())
        np.testing.assert_array_equal(attention, ref_att.numpy())
        prev = np.full(3, token, dtype=np.int64)
    assert set(state) == {*backend.model.state_keys, SENTENCE_KEY}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_reorder_matches_the_reference_take(cell: str) -> None:
    backend, src, lengths = _backend(cell=cell, input_feeding=cell == "lstm")
    state = backend.encode(src, lengths)
    _, _, state = backend.step(np.full(3, BOS_ID, dtype=np.int64), state)
    # Any order, repeats allowed; also a reversed view (negative stride) of indices and state.
    reversed_state = {key: value[::-1] for key, value in state.items()}
    for indices, rows in (
        (np.array([2, 0, 0, 1, 2], dtype=np.int64), state),
        (np.arange(3, dtype=np.int64)[::-1], reversed_state),
    ):
        ours = backend.reorder(rows, indices)
        ref = reorder_state(rows, indices, per_sentence=STATIC_KEYS)
        assert set(ours) == set(ref)
        for key in ref:
            np.testing.assert_array_equal(ours[key], ref[key])
            assert ours[key].dtype == ref[key].dtype


def test_reorder_reuses_per_sentence_arrays_within_sentences() -> None:
    backend, src, lengths = _backend()
    state = backend.reorder(backend.encode(src, lengths), np.repeat(np.arange(3), 2))  # 2 beams
    np.testing.assert_array_equal(state[SENTENCE_KEY], [0, 0, 1, 1, 2, 2])
    _, _, state = backend.step(np.full(6, BOS_ID, dtype=np.int64), state)
    assert SENTENCE_KEY in state  # carried through step

    within = backend.reorder(state, np.array([1, 1, 2, 3, 5, 4]))  # back-pointers in-sentence
    assert all(within[key] is state[key] for key in STATIC_KEYS)
    np.testing.assert_array_equal(within["h"], state["h"][[1, 1, 2, 3, 5, 4]])

    across = backend.reorder(state, np.array([0, 1, 2, 3]))  # sentence 2 leaves
    assert across["memory"].shape[0] == 4 and across["memory"] is not state["memory"]
    np.testing.assert_array_equal(across[SENTENCE_KEY], [0, 0, 1, 1])


def test_reordered_rows_decode_like_the_originals() -> None:
    """Beam bookkeeping: a row copied by reorder continues exactly like its source row."""
    backend, src, lengths = _backend()
    state = backend.encode(src, lengths)
    lp, _, state = backend.step(np.full(3, BOS_ID, dtype=np.int64), state)
    prev = lp.argmax(1)
    expanded = backend.reorder(state, np.repeat(np.arange(3), 2))
    lp_orig, att_orig, _ = backend.step(prev, state)
    lp_exp, att_exp, _ = backend.step(np.repeat(prev, 2), expanded)
    np.testing.assert_allclose(lp_exp[::2], lp_orig, atol=1e-6)
    np.testing.assert_allclose(att_exp[1::2], att_orig, atol=1e-6)


def test_state_arrays_are_not_written_and_read_only_inputs_work() -> None:
    backend, src, lengths = _backend()
    state = backend.encode(src, lengths)
    for value in state.values():
        value.flags.writeable = False  # the search may hand back read-only arrays
    before = {k: v.copy() for k, v in state.items()}
    prev = np.full(3, BOS_ID, dtype=np.int64)
    prev.flags.writeable = False
    log_probs, _, new_state = backend.step(prev, state)
    assert np.isfinite(log_probs).all()
    assert all(np.array_equal(before[k], state[k]) for k in state)
    assert new_state["memory"] is state["memory"]  # static entries are passed through


def test_refuses_a_model_in_training_mode() -> None:
    backend, src, lengths = _backend()
    backend.model.train()
    with pytest.raises(RuntimeError, match="eval"):
        backend.encode(src, lengths)


def test_empty_source_and_int32_inputs() -> None:
    backend, _, _ = _backend()
    src = np.array([[5, 6, 0], [0, 0, 0]], dtype=np.int32)
    # int32 ids (off-protocol but common) are widened, not rejected.
    state = backend.encode(src, np.array([2, 0], dtype=np.int32))  # type: ignore[arg-type]
    log_probs, attention, _ = backend.step(np.array([BOS_ID, BOS_ID], dtype=np.int32), state)
    assert np.isfinite(log_probs).all()
    assert not attention[1].any() and attention[0, 2] == 0.0
