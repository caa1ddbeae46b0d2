"""SentencePiece tokenizer: train, encode, decode. The special ids are defined here, once.

One joint model serves source and target. It is trained on text already masked by
`nmt.protect` (the caller masks), and every reserved symbol of `nmt.protect.RESERVED_SYMBOLS` is
a user-defined piece: SentencePiece always cuts it out as one piece, even inside a word, so the
masked text needs no padding.

Choices, with reasons:
- `normalization_rule_name="identity"`: NFKC would turn `…` into `...` and NBSP into a space, so a
  translation could never reproduce what translators write. The corpus is NFC-normalised by
  `nmt.normalize.normalize`; inference input must be normalised the same way by the caller.
  Runs of spaces still collapse and leading/trailing spaces are dropped (SentencePiece default).
- `byte_fallback=True`: a character outside the vocabulary becomes its UTF-8 bytes, never `<unk>`,
  so an emoji or a CJK name survives encode -> decode exactly.
- Determinism: the sampler is seeded (`seed`), the input order is the caller's and the thread
  count is fixed (SentencePiece's EM result depends on it), so identical input gives identical
  model bytes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import sentencepiece as spm

from nmt.boundaries import GLUE
from nmt.errors import NmtError
from nmt.protect import RESERVED_SYMBOLS

logger = logging.getLogger(__name__)

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
PAD_PIECE, UNK_PIECE, BOS_PIECE, EOS_PIECE = "<pad>", "<unk>", "<s>", "</s>"


class TokenizerError(NmtError, ValueError):
    """A SentencePiece model that this project cannot use; the message says why."""


class Tokenizer:
    """A loaded SentencePiece model with the project's special ids and reserved symbols.

    `encode` adds no BOS or EOS: the caller adds them where the model needs them (typically the
    source and the target end with `EOS_ID` and the decoder input starts with `BOS_ID`). `decode`
    stops at the first EOS and skips PAD and BOS, so a search result decodes as it is.
    """

    def __init__(self, processor: spm.SentencePieceProcessor, *, num_threads: int = 1) -> None:
        """Wrap a loaded processor; raises TokenizerError if its ids or symbols do not match.

        `num_threads` is used for batch encode/decode: 1 suits per-request serving (SentencePiece
        starts a thread pool per call); raise it for bulk tokenization of a corpus.
        """
        self._sp = processor
        self._threads = num_threads
        _check_special_ids(processor)
        _check_reserved_symbols(processor)

    @classmethod
    def load(cls, path: Path, *, num_threads: int = 1) -> Tokenizer:
        """Load a `.model` file written by `train_tokenizer` (or any compatible one)."""
        return cls.from_bytes(Path(path).read_bytes(), num_threads=num_threads)

    @classmethod
    def from_bytes(cls, model: bytes, *, num_threads: int = 1) -> Tokenizer:
        """Load a serialized model proto (the bytes of a `.model` file)."""
        try:
            processor = spm.SentencePieceProcessor(model_proto=model)
        except (RuntimeError, OSError) as err:
            raise TokenizerError(f"not a SentencePiece model: {err}") from err
        return cls(processor, num_threads=num_threads)

    @property
    def vocab_size(self) -> int:
        """Number of pieces, special ids, byte pieces and reserved symbols included."""
        return int(self._sp.get_piece_size())

    def serialized(self) -> bytes:
        """The model proto, byte for byte what `load` read."""
        return bytes(self._sp.serialized_model_proto())

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text; no BOS/EOS. A bare `str` is refused (it is a Sequence too)."""
        ids: list[list[int]] = self._sp.encode(
            _as_list(texts), out_type=int, num_threads=self._threads
        )
        return ids

    def encode_pieces(self, texts: Sequence[str]) -> list[list[str]]:
        """Pieces of each text, as `encode` would give ids (for inspection and attention views)."""
        pieces: list[list[str]] = self._sp.encode(
            _as_list(texts), out_type=str, num_threads=self._threads
        )
        return pieces

    def decode(self, ids: Iterable[int]) -> str:
        """Text of `ids` up to the first EOS; PAD and BOS are skipped wherever they are.

        `ids` may be a list or a 1-D NumPy integer array (as the search returns them)."""
        return str(self._sp.decode(_strip_specials(ids)))

    def decode_batch(self, batch: Iterable[Iterable[int]]) -> list[str]:
        """`decode` for each sequence, in one SentencePiece call."""
        cleaned = [_strip_specials(ids) for ids in batch]
        return list(self._sp.decode(cleaned, num_threads=self._threads))

    @property
    def has_glue(self) -> bool:
        """Whether the boundary mark `GLUE` is one piece (a tokenizer for version 3)."""
        return GLUE in self.encode_pieces([GLUE])[0]

    def piece(self, token_id: int) -> str:
        """The piece of an id; raises IndexError outside the vocabulary."""
        if not 0 <= token_id < self.vocab_size:
            raise IndexError(f"token id {token_id} outside vocabulary of {self.vocab_size}")
        return str(self._sp.id_to_piece(token_id))

    def id_of(self, piece: str) -> int:
        """The id of a piece (a reserved symbol, a special piece); KeyError if it has none."""
        token_id = int(self._sp.piece_to_id(piece))
        if token_id == UNK_ID and piece != UNK_PIECE:
            raise KeyError(f"no piece {piece!r} in the vocabulary")
        return token_id


def _as_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode takes a sequence of texts, not one str; wrap it: [text]")
    return list(texts)


def _strip_specials(ids: Iterable[int]) -> list[int]:
    """Ids before the first EOS, without PAD/BOS; accepts numpy integers."""
    out: list[int] = []
    for token_id in ids:
        token_id = int(token_id)
        if token_id == EOS_ID:
            break
        if token_id not in (PAD_ID, BOS_ID):
            out.append(token_id)
    return out


def _check_special_ids(sp: spm.SentencePieceProcessor) -> None:
    found = (sp.pad_id(), sp.unk_id(), sp.bos_id(), sp.eos_id())
    if found != (PAD_ID, UNK_ID, BOS_ID, EOS_ID):
        raise TokenizerError(
            f"special ids pad/unk/bos/eos are {found}, expected "
            f"{(PAD_ID, UNK_ID, BOS_ID, EOS_ID)}: train with nmt.tokenizer.train_tokenizer"
        )


def _check_reserved_symbols(sp: spm.SentencePieceProcessor) -> None:
    """Every reserved symbol must come out as exactly one piece, also glued to letters."""
    probe = "x" + "x".join(RESERVED_SYMBOLS) + "x"
    pieces = set(sp.encode(probe, out_type=str))
    missing = [s for s in RESERVED_SYMBOLS if s not in pieces]
    if missing:
        raise TokenizerError(
            f"{len(missing)} reserved symbols are not single pieces (first: {missing[0]}): "
            "train with user_defined_symbols=nmt.protect.RESERVED_SYMBOLS"
        )


def _counted(sentences: Iterable[str], counter: list[int]) -> Iterator[str]:
    """Yield the sentences, counting them into `counter[0]` (for the log line)."""
    for sentence in sentences:
        counter[0] += 1
        yield sentence


def train_tokenizer(
    sentences: Iterable[str],
    model_path: Path,
    *,
    vocab_size: int = 8000,
    model_type: str = "unigram",
    character_coverage: float = 1.0,
    byte_fallback: bool = True,
    input_sentence_size: int = 2_000_000,
    max_sentence_length: int = 4192,
    normalization_rule_name: str = "identity",
    user_defined_symbols: Sequence[str] = (*RESERVED_SYMBOLS, GLUE),
    seed: int = 1234,
    num_threads: int = 1,
) -> Tokenizer:
    """Train a joint model on `sentences` (source and target, already masked) and write it.

    Contract: the model file lands at `model_path` atomically; identical input and arguments
    give identical bytes (`num_threads` included: SentencePiece's result depends on the thread
    count, so the default is one fixed value) as long as nothing is sampled. If more than
    `input_sentence_size` sentences come, a seeded random sample of that many is used, which is
    not reproducible across calls in one process (SentencePiece's sampler keeps its generator
    state); the shipped configs stay under the limit. Sentences longer than `max_sentence_length`
    bytes are skipped by SentencePiece. `user_defined_symbols` must include every reserved
    symbol (TokenizerError otherwise); the default adds the boundary mark `GLUE`, one piece that
    preprocessing version 3 needs (`Tokenizer.has_glue`). Raises RuntimeError from SentencePiece
    when the input is too small for `vocab_size`.
    """
    missing = set(RESERVED_SYMBOLS) - set(user_defined_symbols)
    if missing:
        raise TokenizerError(f"user_defined_symbols lacks {len(missing)} reserved symbols")
    options: dict[str, Any] = {
        "vocab_size": vocab_size,
        "model_type": model_type,
        "character_coverage": character_coverage,
        "byte_fallback": byte_fallback,
        "input_sentence_size": input_sentence_size,
        "shuffle_input_sentence": True,
        "max_sentence_length": max_sentence_length,
        "normalization_rule_name": normalization_rule_name,
        "user_defined_symbols": list(user_defined_symbols),
        "pad_id": PAD_ID,
        "unk_id": UNK_ID,
        "bos_id": BOS_ID,
        "eos_id": EOS_ID,
        "pad_piece": PAD_PIECE,
        "unk_piece": UNK_PIECE,
        "bos_piece": BOS_PIECE,
        "eos_piece": EOS_PIECE,
        "num_threads": num_threads,
        "minloglevel": 2,  # SentencePiece's own progress log is thousands of lines
    }
    model_path = Path(model_path)
    started = time.perf_counter()
    count = _write_model(model_path, sentences, options, seed)
    logger.info(
        "trained SentencePiece %s, vocab %d, on %d sentences in %.1f s -> %s",
        model_type,
        vocab_size,
        count,
        time.perf_counter() - started,
        model_path,
    )
    return Tokenizer.load(model_path)


def _write_model(
    model_path: Path, sentences: Iterable[str], options: dict[str, Any], seed: int
) -> int:
    """Train with `options` and write the model atomically (next to it, then renamed); a failed
    training leaves nothing behind. Returns the number of sentences read."""
    model_path.parent.mkdir(parents=True, exist_ok=True)
    count = [0]
    tmp = model_path.with_name(model_path.name + ".tmp")
    spm.set_random_generator_seed(seed)  # the sentence sampler draws from this generator
    try:
        with tmp.open("wb") as writer:
            spm.SentencePieceTrainer.Train(
                sentence_iterator=_counted(sentences, count), model_writer=writer, **options
            )
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(model_path)
    return count[0]
