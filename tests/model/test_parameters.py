"""Parameter counts of the reference shape, shared/tied storage, initialisation."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from nmt.config import ModelConfig
from nmt.model import Seq2Seq
from tests.model.helpers import padded_batch, tiny_model

logger = logging.getLogger(__name__)


def _reference_count(enc_layers: int, shared: bool) -> int:
    """The reference shape counted by hand (V 8000, E 256, encoder 256 per direction,
    decoder 512, Luong general, input feeding, linear bridge for h and c)."""
    V, E, He, Hd = 8000, 256, 256, 512  # noqa: N806
    M = 2 * He  # noqa: N806
    lstm = 0
    for layer in range(enc_layers):  # bidirectional: two directions, two bias vectors each
        in_size = E if layer == 0 else M
        lstm += 2 * (4 * He * (in_size + He) + 2 * 4 * He)
    embeddings = V * E * (1 if shared else 2)
    bridge = 2 * (M * Hd + Hd)  # h and c
    decoder = 4 * Hd * (E + Hd + Hd) + 2 * 4 * Hd  # input [emb; feed]
    attention = M * Hd  # W of h^T W m, no bias
    combine = (Hd + M) * Hd + Hd
    output = Hd * V + V
    return embeddings + lstm + bridge + decoder + attention + combine + output


@pytest.mark.parametrize(
    ("enc_layers", "shared", "expected"),
    [
        (2, True, 12_719_424),  # ModelConfig() as it stands
        (1, True, 11_142_464),  # docs/training.md's "11.1M with one shared embedding"
        (1, False, 13_190_464),  # docs/training.md's "13.2M with separate embeddings"
    ],
)
def test_reference_parameter_count(enc_layers: int, shared: bool, expected: int) -> None:
    cfg = ModelConfig(enc_layers=enc_layers, share_embeddings=shared)
    count = Seq2Seq(cfg).num_parameters()
    print(f"reference shape, enc_layers={enc_layers}, shared={shared}: {count:,} parameters")
    assert count == expected == _reference_count(enc_layers, shared)


def test_default_config_is_the_reference_shape() -> None:
    model = Seq2Seq(ModelConfig())
    assert model.embeddings.shared and model.cfg.attention == "luong_general"
    assert model.num_parameters() == _reference_count(ModelConfig().enc_layers, shared=True)


def test_shared_embeddings_share_storage() -> None:
    model = tiny_model(share_embeddings=True)
    src, tgt = model.embeddings.source.weight, model.embeddings.target.weight
    assert src is tgt and src.data_ptr() == tgt.data_ptr()
    separate = tiny_model(share_embeddings=False)
    assert (
        separate.embeddings.source.weight.data_ptr() != separate.embeddings.target.weight.data_ptr()
    )
    assert separate.num_parameters() == model.num_parameters() + 40 * 16


def test_tied_output_shares_storage_and_trains_once() -> None:
    untied = tiny_model(tie_output=False, dec_hidden=24, attention="bahdanau")
    tied = tiny_model(tie_output=True, dec_hidden=24, attention="bahdanau")
    emb = tied.embeddings.target.weight
    assert tied.output.weight.data_ptr() == emb.data_ptr()
    assert tied.output.pre is not None and tied.output.pre.weight.shape == (16, 24)
    # Tying drops the [V, Hd] matrix and adds the [E, Hd] projection.
    assert tied.num_parameters() == untied.num_parameters() - 40 * 24 + 16 * 24
    # One parameter: a loss on the output layer alone puts a gradient on the embedding table.
    tied.output(torch.randn(3, 24)).sum().backward()
    assert tied.embeddings.source.weight.grad is not None
    assert tied.embeddings.source.weight.grad.abs().sum() > 0


def test_state_dict_round_trip_keeps_sharing() -> None:
    model = tiny_model(share_embeddings=True, tie_output=True)
    fresh = tiny_model(seed=1, share_embeddings=True, tie_output=True)
    src, lengths = padded_batch([5, 3])
    tgt = torch.full((2, 4), 7)
    assert not torch.allclose(fresh(src, lengths, tgt), model(src, lengths, tgt))
    fresh.load_state_dict(model.state_dict())
    assert torch.equal(fresh(src, lengths, tgt), model(src, lengths, tgt))
    emb = fresh.embeddings
    assert emb.source.weight is emb.target.weight is fresh.output.weight


def test_tied_output_without_projection_when_sizes_match() -> None:
    tied = tiny_model(tie_output=True, emb_dim=16, dec_hidden=16)
    assert tied.output.pre is None


def test_recurrent_init_orthogonal_blocks_and_forget_bias() -> None:
    model = tiny_model(enc_layers=1)
    encoder, decoder = model.encoder.rnn, model.decoder.rnn
    assert isinstance(encoder, nn.LSTM)
    for name, rnn in (("encoder", encoder), ("encoder_reverse", encoder), ("decoder", decoder)):
        suffix = "_reverse" if name.endswith("reverse") else ""
        hidden = rnn.hidden_size
        w_hh = getattr(rnn, f"weight_hh_l0{suffix}").detach()
        for gate in range(4):
            block = w_hh[gate * hidden : (gate + 1) * hidden]
            assert torch.allclose(block @ block.T, torch.eye(hidden), atol=1e-5), name
        bias = (getattr(rnn, f"bias_ih_l0{suffix}") + getattr(rnn, f"bias_hh_l0{suffix}")).detach()
        assert torch.all(bias[hidden : 2 * hidden] == 1.0), name  # forget gate
        assert not bias[:hidden].any() and not bias[2 * hidden :].any(), name
    assert not model.embeddings.source.weight[0].any()  # PAD row


def test_init_without_orthogonal() -> None:
    model = tiny_model(orthogonal_init=False, cell="gru")
    _, w_hh, b_ih, b_hh = model.decoder.rnn.weights(0)
    hidden = model.decoder.rnn.hidden_size
    block = w_hh[:hidden].detach()
    assert not torch.allclose(block @ block.T, torch.eye(hidden), atol=1e-2)
    assert not (b_ih.detach().any() or b_hh.detach().any())  # GRU: no forget gate, all 0
