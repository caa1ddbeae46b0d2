"""Shared by the bundle, Translator and `nmt translate` tests: a tiny SentencePiece model trained
on the synthetic corpus, NumPy step models with scripted behaviour, and a bundle built from
them (placeholder graph bytes: `nmt.bundle` only checks files)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nmt.bundle import Bundle, Manifest, write_bundle
from nmt.config import ModelConfig
from nmt.preprocessing import CURRENT
from nmt.protect import RESERVED_SYMBOLS, mask_pair
from nmt.search import ArrayState, reorder_state
from nmt.tokenizer import EOS_ID, Tokenizer, train_tokenizer
from tests.synthetic import pair

VOCAB = 400  # 4 specials + 256 bytes + 72 reserved symbols + some pieces
EXTRA = (
    "Open the file menu. Save the document. Click Save to keep the changes.",
    "Öffnen Sie das Dateimenü. Speichern Sie das Dokument. Klicken Sie auf Speichern.",
    "e.g. the window, i.e. the folder, etc. Dr. Smith version 1.5",
)


def train_tiny_tokenizer(path: Path, *, vocab_size: int = VOCAB) -> Tokenizer:
    """A deterministic joint model over masked synthetic pairs (~1 s)."""
    rng = random.Random(3)
    sentences = [" ".join(RESERVED_SYMBOLS), *EXTRA]
    for _ in range(1500):
        masked = mask_pair(*pair(rng))
        sentences += [masked.source, masked.target]
    return train_tokenizer(sentences, path, vocab_size=vocab_size)


def tiny_manifest(*, vocab_size: int = VOCAB, **fields: Any) -> Manifest:
    """The manifest of `tiny_bundle`: these values, but for `fields`."""
    values: dict[str, Any] = {
        "pair": "en-de",
        "model": ModelConfig(vocab_size=vocab_size),
        "parameters": 1234,
        "corpus_manifest_sha256": "ab" * 32,
        "training": {"steps": 10, "time_s": 1.5},
        "scores": {"test": {"bleu": 1.0, "signature": "nrefs:1|case:mixed"}},
        "preprocessing": CURRENT,  # what a bundle exported now records
    }
    return Manifest(**{**values, **fields})


def tiny_bundle(
    out: Path,
    spm_model: Path,
    *,
    vocab_size: int = VOCAB,
    model_card_text: str = "# tiny\n\nA test bundle.\n",
    glossary: Path | None = None,
    **fields: Any,
) -> Bundle:
    """A bundle with fake graph bytes around a real SentencePiece model; `fields` change its
    manifest (`tiny_manifest`); `glossary` is a TSV file written in as its default glossary."""
    graphs = out.parent / f"{out.name}-graphs"
    graphs.mkdir(parents=True, exist_ok=True)
    (graphs / "enc.onnx").write_bytes(b"encoder graph " * 100)
    (graphs / "dec.onnx").write_bytes(b"decoder graph " * 100)
    return write_bundle(
        out,
        tiny_manifest(vocab_size=vocab_size, **fields),
        encoder=graphs / "enc.onnx",
        decoder=graphs / "dec.onnx",
        spm_model=spm_model,
        model_card_text=model_card_text,
        glossary=glossary,
    )


class CopyModel:
    """Emits each source token in turn (EOS last, since sources end with EOS) with probability
    0.9, attending one-hot to the position it copies.

    `drop`: token ids it never emits (it skips them, as a model dropping a placeholder would).
    `runner_up`: a token given probability 0.05 at every step (the rest share 0.05), so that
    n-best lists hold predictable alternatives.
    `script`: emit exactly these tokens (then EOS) for every source instead, attending one-hot
    to source position min(t, length - 1).
    `encoded` records each batch's source rows (ids up to their length).
    """

    def __init__(
        self,
        vocab: int,
        *,
        drop: Sequence[int] = (),
        script: Sequence[int] | None = None,
        runner_up: int | None = None,
    ) -> None:
        self.vocab = vocab
        self.runner_up = runner_up
        self.drop = set(drop)
        self.script = None if script is None else [*script, EOS_ID]
        self.encoded: list[list[list[int]]] = []

    def encode(self, src_ids: np.ndarray, src_lengths: np.ndarray) -> ArrayState:
        rows = [row[:n].tolist() for row, n in zip(src_ids, src_lengths, strict=True)]
        self.encoded.append(rows)
        width = max(src_ids.shape[1], len(self.script or ()))
        tokens = np.full((len(rows), width), EOS_ID, dtype=np.int64)  # what step t emits
        where = np.zeros((len(rows), width), dtype=np.int64)  # the source position it copies
        for b, row in enumerate(rows):
            if self.script is not None:
                tokens[b, : len(self.script)] = self.script
                where[b] = np.minimum(np.arange(width), len(row) - 1)
                continue
            kept = [p for p, token in enumerate(row) if token not in self.drop]
            tokens[b, : len(kept)] = [row[p] for p in kept]
            where[b, : len(kept)] = kept
            where[b, len(kept) :] = len(row) - 1
        return {
            "tokens": tokens,
            "where": where,
            "t": np.zeros(len(rows), dtype=np.int64),
            "source": np.zeros(src_ids.shape, dtype=np.float32),  # carries the width S
        }

    def step(
        self, prev_tokens: np.ndarray, state: ArrayState
    ) -> tuple[np.ndarray, np.ndarray, ArrayState]:
        rows = np.arange(prev_tokens.shape[0])
        t = np.minimum(state["t"], state["tokens"].shape[1] - 1)
        rest = 0.1 if self.runner_up is None else 0.05
        log_probs = np.full((rows.size, self.vocab), np.log(rest / (self.vocab - 2)), np.float32)
        if self.runner_up is not None:
            log_probs[:, self.runner_up] = np.log(0.05)
        log_probs[rows, state["tokens"][rows, t]] = np.log(0.9)
        attention = np.zeros_like(state["source"])
        attention[rows, state["where"][rows, t]] = 1.0
        return log_probs, attention, {**state, "t": state["t"] + 1}

    def reorder(self, state: ArrayState, indices: np.ndarray) -> ArrayState:
        return reorder_state(state, indices)


_ONNX_BUNDLES: dict[str, tuple[Path, object]] = {}


def onnx_bundle(factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A real fp32 bundle: a random tiny Seq2Seq over the tiny tokenizer, exported to ONNX.

    Built once per test session and returns the bundle folder and the PyTorch model it came
    from. Skips without torch and onnx. The two graphs are traced in this process and checked
    against the contract (`export_graphs` would start a fresh process per graph, seconds each:
    its isolation guards against a failed export spoiling a later one, which the export tests
    cover).
    """
    key = str(factory.getbasetemp())
    if key not in _ONNX_BUNDLES:
        pytest.importorskip("torch")
        pytest.importorskip("onnx")
        from nmt.export.graphs import FILES, GRAPHS, check_graph, export_graph
        from tests.model.helpers import tiny_model

        root = factory.mktemp("onnx-bundle")
        spm = root / "sentencepiece.model"
        train_tiny_tokenizer(spm)
        model = tiny_model(seed=0, vocab_size=VOCAB)
        graphs = {graph: root / "graphs" / FILES[graph] for graph in GRAPHS}
        for graph, path in graphs.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            export_graph(model, graph, path)
            check_graph(path, model.cfg, graph)
        manifest = Manifest(
            pair="en-de",
            model=model.cfg,
            parameters=sum(p.numel() for p in model.parameters()),
            corpus_manifest_sha256=None,
            training={"steps": 0, "time_s": 0.0},
            quantization="fp32",
        )
        bundle = write_bundle(
            root / "bundle",
            manifest,
            encoder=graphs["encoder"],
            decoder=graphs["decoder_step"],
            spm_model=spm,
            model_card_text="# tiny random model\n",
        )
        _ONNX_BUNDLES[key] = (bundle.path, model)
    return _ONNX_BUNDLES[key]
