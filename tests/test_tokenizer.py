"""SentencePiece tokenizer: special ids, reserved symbols, exact round trips, determinism."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sentencepiece as spm

from nmt.protect import RESERVED_SYMBOLS, protect, restore
from nmt.tokenizer import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    UNK_ID,
    Tokenizer,
    TokenizerError,
    train_tokenizer,
)

VOCAB = 420  # 4 specials + 256 bytes + 72 reserved symbols + some real pieces
TEMPLATES = [
    "Delete %s files?",
    "Click <b>Save</b> to keep the changes.",
    "Copy %1$s to %2$s",
    "Die Datei %s wurde gespeichert.",
    "Klicken Sie auf <b>Speichern</b>, um die Änderungen zu behalten.",
    "See https://example.org/help for details.",
    "Hello %(name)s, you have %(count)d new messages",
]
EN_WORDS = "the file was saved open close print settings window document select format cells"
DE_WORDS = "Datei wurde gespeichert öffnen schließen drucken Einstellungen Fenster Dokument Größe"
WORDS = [*EN_WORDS.split(), *DE_WORDS.split()]


def _corpus(seed: int = 7, n: int = 1500) -> list[str]:
    """Masked sentences, as the training pipeline gives them: words, templates, all symbols."""
    rng = random.Random(seed)
    sentences = [protect(t).text for t in TEMPLATES]
    sentences.append(" ".join(RESERVED_SYMBOLS))
    for _ in range(n):
        words = rng.choices(WORDS, k=rng.randint(3, 12))
        words[0] = words[0].capitalize()
        sentences.append(" ".join(words) + rng.choice([".", "?", "", ":", "!"]))
    return sentences


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spm") / "sentencepiece.model"
    train_tokenizer(_corpus(), path, vocab_size=VOCAB)
    return path


@pytest.fixture(scope="module")
def tok(model_path: Path) -> Tokenizer:
    return Tokenizer.load(model_path)


def test_special_ids_and_pieces(tok: Tokenizer) -> None:
    assert (PAD_ID, UNK_ID, BOS_ID, EOS_ID) == (0, 1, 2, 3)
    assert [tok.piece(i) for i in range(4)] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert tok.id_of("</s>") == EOS_ID and tok.id_of("<unk>") == UNK_ID
    assert tok.vocab_size == VOCAB


def test_every_reserved_symbol_is_one_piece_even_inside_a_word(tok: Tokenizer) -> None:
    ids = {tok.id_of(symbol) for symbol in RESERVED_SYMBOLS}
    assert len(ids) == len(RESERVED_SYMBOLS)
    assert all(tok.piece(i) in RESERVED_SYMBOLS for i in ids)
    (pieces,) = tok.encode_pieces(["Datei⦅PH1⦆wurde ⦅TO2⦆⦅TC2⦆ ⦅TM12⦆."])
    assert {"⦅PH1⦆", "⦅TO2⦆", "⦅TC2⦆", "⦅TM12⦆"} <= set(pieces)
    assert not any(("⦅" in p or "⦆" in p) and p not in RESERVED_SYMBOLS for p in pieces)


@pytest.mark.parametrize(
    "text",
    [
        "Emoji 😀 and 🇩🇪, CJK 漢字かな 한국어",
        "Unusual ‽ ⸘ ¶ § † ‡ ※ ⁂ ∑ ∞ ≠ ≤ → ⇒ ★ ☃ ♫ µ Ω ß ẞ",
        "Ellipsis… „Anführung“ «guillemets» ‚einfach‘ a\u00a0b 5\u202f%",  # kept, never NFKC'd
        "Mixed: Größe 10 KiB, ZEILE, ñandú, naïve café, Ørsted, İstanbul",
    ],
)
def test_rare_characters_round_trip_exactly_without_unknowns(tok: Tokenizer, text: str) -> None:
    (ids,) = tok.encode([text])
    assert UNK_ID not in ids
    assert tok.decode(ids) == text


def test_masked_text_round_trips_through_tokenizer_and_restore(tok: Tokenizer) -> None:
    for text in [*TEMPLATES, "Öffne ~/.bashrc & <a href='x'>Größe %d%%</a>…"]:
        protected = protect(text)
        ids = tok.encode([protected.text])[0]
        assert restore(tok.decode(ids), protected).text == text


def test_encode_adds_no_specials_and_decode_stops_at_eos(tok: Tokenizer) -> None:
    batch = ["Datei wurde gespeichert.", "Open the file"]
    ids = tok.encode(batch)
    assert all(BOS_ID not in row and EOS_ID not in row and PAD_ID not in row for row in ids)
    padded = [[BOS_ID, *ids[0], EOS_ID, *ids[1], PAD_ID], [PAD_ID, *ids[1], EOS_ID, EOS_ID]]
    assert tok.decode(padded[0]) == batch[0]
    assert tok.decode(np.array(padded[1], dtype=np.int64)) == batch[1]
    assert tok.decode_batch(padded) == batch
    assert tok.decode([EOS_ID, *ids[0]]) == ""


def test_bad_arguments_raise(tok: Tokenizer) -> None:
    with pytest.raises(TypeError):
        tok.encode("one string")
    with pytest.raises(KeyError):
        tok.id_of("not-a-piece-at-all")
    with pytest.raises(IndexError):
        tok.piece(tok.vocab_size)


def test_training_is_deterministic(model_path: Path, tmp_path: Path) -> None:
    """Without sampling (all sentences used, as in every shipped config) the model bytes are
    reproducible. The sampled case is not asserted: SentencePiece's sampler keeps generator
    state inside a process, and a full test run showed it differ once."""
    again = tmp_path / "again.model"
    train_tokenizer(_corpus(), again, vocab_size=VOCAB)
    assert again.read_bytes() == model_path.read_bytes()
    assert not list(tmp_path.glob("*.tmp"))


def test_load_round_trips_bytes(tok: Tokenizer, model_path: Path) -> None:
    assert tok.serialized() == model_path.read_bytes()
    assert Tokenizer.from_bytes(tok.serialized()).encode(["Datei"]) == tok.encode(["Datei"])


def _plain_model(**options: Any) -> bytes:
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.Train(
        sentence_iterator=iter(_corpus()),
        model_writer=buffer,
        vocab_size=360,
        hard_vocab_limit=False,
        byte_fallback=True,
        minloglevel=2,
        **options,
    )
    return buffer.getvalue()


def test_models_not_made_for_this_project_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TokenizerError, match="special ids"):  # SentencePiece's default ids
        Tokenizer.from_bytes(_plain_model())
    with pytest.raises(TokenizerError, match="reserved symbols"):
        Tokenizer.from_bytes(_plain_model(pad_id=0, unk_id=1, bos_id=2, eos_id=3))
    with pytest.raises(TokenizerError, match="not a SentencePiece model"):
        Tokenizer.from_bytes(b"not a model")
    with pytest.raises(TokenizerError, match="lacks"):
        train_tokenizer(_corpus(), tmp_path / "m.model", user_defined_symbols=())
    assert not (tmp_path / "m.model").exists()


def test_importing_protect_and_tokenizer_does_not_import_torch() -> None:
    code = "import sys, nmt.protect, nmt.tokenizer; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
