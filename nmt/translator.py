"""The one text -> text pipeline, shared by validation, the CLI, batch translation and serving.

```
text -> sentences (nmt.segment) -> normalise -> protect (placeholders, markup, terms)
     -> SentencePiece ids + EOS -> search (greedy | beam) on any StepModel backend
     -> ids -> text -> restore protected spans -> sentences joined back with the original gaps
```

Segments are deduplicated (a repeated sentence is translated once), sorted by length into
batches (less padding) and the results come back in input order. The backend is any `StepModel`:
PyTorch in training, ONNX Runtime in serving (`Translator.load` on a bundle). This module
imports no framework; importing it does not import torch or onnxruntime.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nmt.alignment import CharMap, Link, align, normalize_map, source_side, target_side
from nmt.boundaries import model_text, unmark
from nmt.bundle import Bundle, BundleError, load_bundle
from nmt.config import DecodingConfig
from nmt.glossary import GlossaryError, load_glossary, merged
from nmt.preprocessing import LEGACY, Preprocessing, runnable
from nmt.protect import Protected, Restored, metavariables, protect, restore
from nmt.search import Hypothesis, Lanes, StepModel, StopCheck, search
from nmt.search.protocol import check_stop
from nmt.segment import CharRange, join_segments, sentence_spans
from nmt.tokenizer import BOS_ID, EOS_ID, EOS_PIECE, PAD_ID, Tokenizer

logger = logging.getLogger(__name__)

# A segment never holds a line break or a control character (normalisation removed them), so
# one in the model's output (byte fallback can spell any) is noise that would break the
# caller's layout (one line in, one line out): line breaks become spaces, controls go.
_OUTPUT_CLEANUP = str.maketrans(
    {
        **dict.fromkeys("\n\r\v\f\x85\u2028\u2029", " "),
        **dict.fromkeys([*map(chr, range(0x00, 0x09)), *map(chr, range(0x0E, 0x20)), "\x7f"]),
    }
)


# Where a sentence may end, for counting sentences from above (see `Translator.costs`).
_SENTENCE_ENDS = re.compile(r"[.!?;:\n\u3002\uff01\uff1f]+")


@dataclasses.dataclass(frozen=True, slots=True)
class Alternative:
    text: str
    score: float


@dataclasses.dataclass(frozen=True, slots=True)
class Attention:
    """The best hypothesis's attention: `weights` float32 [T, S], row t the attention of output
    piece `tgt_tokens[t]` over `src_tokens` (each segment's source pieces and its `</s>`).
    A text of several sentences gets one block per sentence (block diagonal, zeros elsewhere).
    Reserved symbols are shown as the spans they stand for (`%s`, not `⦅PH1⦆`)."""

    src_tokens: tuple[str, ...]
    tgt_tokens: tuple[str, ...]
    weights: NDArray[np.float32]

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: {"src_tokens": [...], "tgt_tokens": [...], "weights": [[...], ...]}."""
        return {
            "src_tokens": list(self.src_tokens),
            "tgt_tokens": list(self.tgt_tokens),
            "weights": self.weights.round(4).tolist(),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Translation:
    """One input's result.

    `score`: length-normalised log-probability of the best output: the sum of the token
    log-probabilities (EOS included) over the total output length, across all sentences of the
    text (0.0 when nothing was translated). `alternatives`: the other n-best outputs in search
    order, distinct texts only (two hypotheses can differ in ids but not in text); for a text
    of several sentences the k-th alternative joins each sentence's k-th hypothesis (its best
    where it has fewer). `alignment`: `[src_start, src_end, tgt_start,
    tgt_end]` character spans of the input text and of `text` (see `nmt.alignment`).
    `attention`: only on request. `tokens`: the best output ids of each sentence, concatenated
    (no EOS). `placed`/`inserted`: protected spans the model emitted itself / that restore had
    to insert. `segments`: sentences translated.
    """

    text: str
    score: float
    alternatives: tuple[Alternative, ...] = ()
    alignment: tuple[Link, ...] = ()
    attention: Attention | None = dataclasses.field(default=None, repr=False)
    tokens: tuple[int, ...] = ()
    placed: int = 0
    inserted: int = 0
    segments: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class TextCost:
    """What translating one text may cost at most, from its real pieces (before any search).

    `pieces`: encoder input pieces (EOS included), what the tokenizer really gives, not a guess
    from characters. `steps`: decoder rows x steps at most: beam width x the output caps
    (`max_output_lengths`) summed over its sentences; the search cannot exceed it whatever the
    model does (min_length only forces it towards the cap). `attention_cells`: the size of its
    attention matrix at most (output pieces x source pieces).
    """

    pieces: int
    steps: int
    attention_cells: int


@dataclasses.dataclass(frozen=True, slots=True)
class _Source:
    """One distinct segment to translate: its protected form and encoder ids (+ EOS)."""

    protected: Protected
    ids: list[int]


@dataclasses.dataclass(frozen=True, slots=True)
class _Output:
    """One hypothesis of a segment: decoded (still masked) and restored."""

    hyp: Hypothesis
    decoded: str
    restored: Restored


@dataclasses.dataclass(frozen=True, slots=True)
class _Segment:
    """One sentence of an input: its span, its distinct source (-1: passed through verbatim,
    as it normalises to nothing) and the map from its normalised form back onto it."""

    span: CharRange
    source: int
    norm_map: CharMap


def source_ids(tokenizer: Tokenizer, masked: Sequence[str]) -> list[list[int]]:
    """Encoder input ids of masked texts: SentencePiece ids + EOS (as in training)."""
    return [[*ids, EOS_ID] for ids in tokenizer.encode(masked)]


def pad_batch(rows: Sequence[Sequence[int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """int64 [B, S] padded with PAD_ID, and the lengths int64 [B]."""
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    out = np.full((len(rows), int(lengths.max())), PAD_ID, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out, lengths


def output_length(hyp: Hypothesis) -> int:
    """Tokens the log-probability sums over: the output plus EOS when it finished."""
    return len(hyp.tokens) + int(hyp.finished)


def normalised_score(hyp: Hypothesis) -> float:
    return hyp.log_prob / max(1, output_length(hyp))


class Translator:
    """Translate texts with a step model and its tokenizer.

    `Translator.load(bundle_dir)` is the serving/CLI path (ONNX Runtime); `Translator(model,
    tokenizer)` takes any `StepModel` (training validates with the PyTorch backend).
    `decoding`: the default settings (a bundle's recorded choice, else `DecodingConfig()`).
    `preprocessing`: the `nmt.preprocessing` version to run (default: the bundle's recorded one,
    else 1); ValueError for one the bundle's model cannot run, or version 3 with a tokenizer
    that lacks the boundary mark. `glossary`: the default glossary
    (lower-cased source term -> target, `nmt.glossary`), which a call's glossary extends.
    """

    def __init__(
        self,
        model: StepModel | Lanes,
        tokenizer: Tokenizer,
        *,
        batch_size: int = 32,
        decoding: DecodingConfig | None = None,
        bundle: Bundle | None = None,
        preprocessing: int | None = None,
        glossary: Mapping[str, str] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        # without a bundle (training, evaluation of a run) the caller's version is the model's
        recorded = bundle.preprocessing if bundle is not None else (preprocessing or LEGACY)
        self.preprocessing = Preprocessing(recorded if preprocessing is None else preprocessing)
        if self.preprocessing.version not in runnable(recorded):
            raise ValueError(
                f"a model made for preprocessing {recorded} cannot run version "
                f"{self.preprocessing.version}; it runs {runnable(recorded)}"
            )
        if self.preprocessing.marks and not tokenizer.has_glue:
            raise ValueError(
                "preprocessing 3 needs a tokenizer with the boundary mark as a piece; this "
                "one has none (a model made for an earlier version)"
            )
        self.glossary = dict(glossary or {})
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.decoding = decoding or DecodingConfig()
        self.bundle = bundle

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        threads: int | None = None,
        batch_size: int = 32,
        preprocessing: int | None = None,
        lanes: int = 1,
    ) -> Translator:
        """Verify and load the bundle at `path` on ONNX Runtime (`threads`: intra-op threads,
        None = the backend's default; `lanes`: split big batches over that many sessions, see
        `nmt.search.lanes`), with its default glossary if it has one. Raises
        BundleError for a bad bundle (verification comes before onnxruntime is even imported),
        a bad default glossary and graphs ONNX Runtime cannot use; ValueError for a
        `preprocessing` version (default: the recorded one) the model cannot run."""
        started = time.perf_counter()
        bundle = load_bundle(path)
        glossary = None
        if bundle.glossary_path is not None:
            try:
                glossary = load_glossary(bundle.glossary_path)
            except GlossaryError as err:
                raise BundleError(f"bundle {path}: {err}") from err
        tokenizer = Tokenizer.load(bundle.spm_path)
        from nmt.search.onnx_backend import OnnxModelError, load_step_model  # onnxruntime here

        try:
            model = load_step_model(
                bundle.encoder_path, bundle.decoder_path, threads=threads, lanes=lanes
            )
        except OnnxModelError as err:  # intact files that are not our graphs: still the bundle's
            raise BundleError(f"bundle {path}: {err}") from err
        logger.info(
            "loaded bundle %s (%s, %s, version %s) in %.2f s",
            path,
            bundle.pair,
            bundle.quantization,
            bundle.version,
            time.perf_counter() - started,
        )
        return cls(
            model,
            tokenizer,
            batch_size=batch_size,
            decoding=bundle.decoding,
            bundle=bundle,
            preprocessing=preprocessing,
            glossary=glossary,
        )

    def decoding_config(
        self,
        decoding: DecodingConfig | None = None,
        *,
        beam_size: int | None = None,
        n_best: int | None = None,
    ) -> DecodingConfig:
        """`decoding` (default: this translator's) with `beam_size` / `n_best` overridden; a
        given `beam_size` means beam search (beam 1 is greedy). ValueError on bad values."""
        cfg = decoding or self.decoding
        changes: dict[str, Any] = {}
        if beam_size is not None:
            changes.update(mode="beam", beam_size=beam_size)
        if n_best is not None:
            changes["n_best"] = n_best
        return dataclasses.replace(cfg, **changes) if changes else cfg

    def translate(
        self,
        texts: Sequence[str],
        decoding: DecodingConfig | None = None,
        *,
        beam_size: int | None = None,
        n_best: int | None = None,
        terms: Iterable[str] = (),
        glossary: Mapping[str, str] | None = None,
        return_alignment: bool = True,
        return_attention: bool = False,
        should_stop: StopCheck | None = None,
    ) -> list[Translation]:
        """One Translation per text, in input order.

        `decoding`/`beam_size`/`n_best`: see `decoding_config`. `terms`: do-not-translate terms,
        kept exactly (protected like placeholders). `glossary`: source term -> target term,
        added to (and overriding) the default glossary (`nmt.glossary`; GlossaryError for a bad
        entry). Sentences are split as `nmt.segment` says
        and joined back with the original whitespace and line breaks; an empty or
        whitespace-only text comes back unchanged with score 0.0. Every placeholder, tag and
        term of a text appears in its translation as often as in the text. `should_stop` is asked
        between decoder steps and between batches: True raises `nmt.search.SearchCancelledError`.
        """
        if isinstance(texts, str):
            raise TypeError("translate takes a sequence of texts, not one str; wrap it: [text]")
        cfg = self.decoding_config(decoding, beam_size=beam_size, n_best=n_best)
        table = merged(self.glossary, glossary) if glossary else self.glossary
        plans, sources = self._prepare(texts, tuple(terms), table)
        outputs = self._run(sources, cfg, should_stop)
        return [
            self._assemble(text, plan, sources, outputs, return_alignment, return_attention)
            for text, plan in zip(texts, plans, strict=True)
        ]

    def encoder_inputs(self, texts: Sequence[str], terms: Iterable[str] = ()) -> list[list[int]]:
        """The encoder input ids that `translate` would search for `texts`: one row per
        distinct sentence (split, normalised, protected, SentencePiece ids + EOS), in the order
        first seen. The export's parity check decodes these, so it checks what is served."""
        return [source.ids for source in self._prepare(texts, tuple(terms), self.glossary)[1]]

    def _prepare(
        self, texts: Sequence[str], terms: tuple[str, ...], glossary: Mapping[str, str]
    ) -> tuple[list[list[_Segment]], list[_Source]]:
        """Split, normalise and protect every text; one `_Source` per distinct normalised
        sentence (and set of kept metavariables), encoded in one tokenizer call.

        The metavariables of a whole text (`FILE` of `--output=FILE`) are kept in every one of
        its segments, so a help line's description column agrees with its option column."""
        rules = self.preprocessing
        index: dict[tuple[str, tuple[str, ...]], int] = {}
        protected: list[Protected] = []
        plans: list[list[_Segment]] = []
        for text in texts:
            plan = []
            extra = metavariables(text) if rules.command_line else ()
            for start, end in sentence_spans(
                text, terms=terms, columns=rules.columns, enclosures=rules.enclosures
            ):
                norm, norm_map = normalize_map(text[start:end])
                k = index.setdefault((norm, extra), len(protected)) if norm else -1
                if k == len(protected):
                    protected.append(
                        protect(
                            norm, terms, glossary=glossary, version=rules.version, metavars=extra
                        )
                    )
                plan.append(_Segment((start, end), k, norm_map))
            plans.append(plan)
        version = self.preprocessing.version
        ids = source_ids(self.tokenizer, [model_text(p.text, version) for p in protected])
        return plans, [_Source(p, i) for p, i in zip(protected, ids, strict=True)]

    def costs(self, texts: Sequence[str], decoding: DecodingConfig | None = None) -> list[TextCost]:
        """The most each text can cost with `decoding` (default: this translator's), from one
        SentencePiece call over the raw texts (C++, microseconds a sentence: cheap enough for
        the server to count every request on its event loop; the full segmentation and
        protection of `translate` cost ~20x more). Sentences are over-counted (every run of
        `.!?;:`, line breaks and CJK stops counts as an end), so the caps summed over them are
        an upper bound of what the search may do: the search itself never goes past them."""
        cfg = decoding or self.decoding
        width = cfg.beam_size if cfg.mode == "beam" else 1
        out = []
        for text, ids in zip(texts, self.tokenizer.encode(list(texts)), strict=True):
            if not text.strip():
                out.append(TextCost(0, 0, 0))
                continue
            sentences = len(_SENTENCE_ENDS.findall(text)) + 1
            pieces = len(ids) + sentences  # each sentence ends with EOS
            cap = math.ceil(cfg.max_length_ratio * pieces) + cfg.max_length_extra * sentences
            if cfg.max_length is not None:
                cap = min(cap, cfg.max_length * sentences)
            out.append(TextCost(pieces, width * cap, pieces * cap))
        return out

    def _run(
        self,
        sources: Sequence[_Source],
        cfg: DecodingConfig,
        should_stop: StopCheck | None = None,
    ) -> list[list[_Output]]:
        """Search every source in length-sorted batches; hypotheses best first, input order."""
        results: list[list[_Output]] = [[] for _ in sources]
        order = sorted(range(len(sources)), key=lambda i: len(sources[i].ids))
        for start in range(0, len(order), self.batch_size):
            check_stop(should_stop)
            chunk = order[start : start + self.batch_size]
            src, lengths = pad_batch([sources[i].ids for i in chunk])
            nbest = search(
                self.model,
                src,
                lengths,
                bos_id=BOS_ID,
                eos_id=EOS_ID,
                cfg=cfg,
                should_stop=should_stop,
            )
            flat = [h for hyps in nbest for h in hyps]
            decoded = iter(self.tokenizer.decode_batch([h.tokens for h in flat]))
            for i, hyps in zip(chunk, nbest, strict=True):
                for hyp in hyps:
                    text = next(decoded).translate(_OUTPUT_CLEANUP)
                    plain = unmark(text) if self.preprocessing.marks else text
                    results[i].append(_Output(hyp, text, restore(plain, sources[i].protected)))
        return results

    def _assemble(
        self,
        text: str,
        plan: Sequence[_Segment],
        sources: Sequence[_Source],
        outputs: Sequence[Sequence[_Output]],
        want_alignment: bool,
        want_attention: bool,
    ) -> Translation:
        """The Translation of one text from its segments' outputs."""
        spans = [seg.span for seg in plan]
        chosen = [outputs[seg.source] if seg.source >= 0 else [] for seg in plan]
        best = [outs[0] if outs else None for outs in chosen]
        joined, out_spans = join_segments(text, spans, _segment_texts(text, plan, best))
        ranks = max((len(outs) for outs in chosen), default=0)
        alternatives: dict[str, Alternative] = {}  # distinct texts only, first (best) kept
        for rank in range(1, ranks):
            pick = [
                outs[rank] if rank < len(outs) else (outs[0] if outs else None) for outs in chosen
            ]
            alt_text, _ = join_segments(text, spans, _segment_texts(text, plan, pick))
            if alt_text != joined:
                alternatives.setdefault(alt_text, Alternative(alt_text, _score(pick)))
        real = [out for out in best if out is not None]
        return Translation(
            text=joined,
            score=_score(best),
            alternatives=tuple(alternatives.values()),
            alignment=self._alignment(plan, sources, best, out_spans) if want_alignment else (),
            attention=self._attention(plan, sources, best) if want_attention else None,
            tokens=tuple(t for out in real for t in out.hyp.tokens),
            placed=sum(len(out.restored.placed) for out in real),
            inserted=sum(len(out.restored.inserted) for out in real),
            segments=len(real),
        )

    def _pieces(self, ids: Iterable[int]) -> list[str]:
        return [self.tokenizer.piece(int(i)) for i in ids]

    def _alignment(
        self,
        plan: Sequence[_Segment],
        sources: Sequence[_Source],
        best: Sequence[_Output | None],
        out_spans: Sequence[CharRange],
    ) -> tuple[Link, ...]:
        """Each segment's links (`nmt.alignment.align`), offset into the input and the output."""
        links: list[Link] = []
        for seg, out, (out_start, _) in zip(plan, best, out_spans, strict=True):
            if out is None:
                continue
            source = sources[seg.source]
            src = source_side(self._pieces(source.ids[:-1]), source.protected, seg.norm_map)
            tgt = target_side(
                self._pieces(out.hyp.tokens), out.decoded, source.protected, out.restored.text
            )
            src_start = seg.span[0]
            links += [
                (a + src_start, b + src_start, c + out_start, d + out_start)
                for a, b, c, d in align(src, tgt, out.hyp.attention)
            ]
        return tuple(links)

    def _attention(
        self, plan: Sequence[_Segment], sources: Sequence[_Source], best: Sequence[_Output | None]
    ) -> Attention:
        """The best hypotheses' attention, one block per translated segment."""
        src_tokens: list[str] = []
        tgt_tokens: list[str] = []
        blocks: list[NDArray[np.float32]] = []
        for seg, out in zip(plan, best, strict=True):
            if out is None:
                continue
            prot = sources[seg.source].protected
            shown = {span.symbol: span.original for span in prot.spans}
            src_tokens += [shown.get(p, p) for p in self._pieces(sources[seg.source].ids[:-1])]
            src_tokens.append(EOS_PIECE)
            tgt_tokens += [shown.get(p, p) for p in self._pieces(out.hyp.tokens)]
            blocks.append(out.hyp.attention)
        weights = np.zeros((len(tgt_tokens), len(src_tokens)), dtype=np.float32)
        row = col = 0
        for block in blocks:
            weights[row : row + block.shape[0], col : col + block.shape[1]] = block
            row, col = row + block.shape[0], col + block.shape[1]
        return Attention(tuple(src_tokens), tuple(tgt_tokens), weights)


def _segment_texts(
    text: str, plan: Sequence[_Segment], outputs: Sequence[_Output | None]
) -> list[str]:
    """Each segment's output text; a segment with no output stays as it was."""
    return [
        out.restored.text if out is not None else text[seg.span[0] : seg.span[1]]
        for seg, out in zip(plan, outputs, strict=True)
    ]


def _score(outputs: Sequence[_Output | None]) -> float:
    """Length-normalised log-probability over several segments' hypotheses (0.0 for none)."""
    hyps = [out.hyp for out in outputs if out is not None]
    length = sum(output_length(h) for h in hyps)
    return sum(h.log_prob for h in hyps) / length if length else 0.0
