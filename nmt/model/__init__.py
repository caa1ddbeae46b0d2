"""The PyTorch seq2seq model: Bi-RNN encoder, attention, input-feeding RNN decoder.

Importing this package imports torch, so nothing on the serving path may import it; training,
export and the PyTorch search backend import it lazily.

Modules (one job each): `embeddings` (tables, variational and word dropout), `encoder`
(packed Bi-LSTM/GRU), `bridge` (encoder final state -> decoder initial state), `attention`
(Luong general/dot, Bahdanau), `decoder` (one step + teacher-forced loop), `output`
(vocabulary projection, optionally tied), `init` (weight initialisation), `seq2seq` (the model).
"""

from nmt.model.seq2seq import Seq2Seq, TensorState

__all__ = ["Seq2Seq", "TensorState"]
