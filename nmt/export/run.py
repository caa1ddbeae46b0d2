"""`export_run`: a training run's checkpoint -> fp32 and int8 ONNX graphs, checked for parity.

Layout written under OUT_DIR:

```
OUT_DIR/fp32/encoder.onnx, OUT_DIR/fp32/decoder_step.onnx     (removed if keep_fp32=False)
OUT_DIR/int8/encoder.onnx, OUT_DIR/int8/decoder_step.onnx     (dynamic QInt8; quantize=True)
OUT_DIR/int8-static/...                                       (static=True only: experimental)
OUT_DIR/export_report.json                                    (always, also when parity fails)
```

The parity check (fails the export with ExportError): every fp32 encoder output and the
step log-probs (top-k graphs: each row's best values) / attention within `TOLERANCE` of
PyTorch, and identical greedy and beam-5 tokens on `parity_sentences` valid sentences.
Reported, not enforced: fp32 batch 1 vs batch 32 (should be 1.0), int8 vs fp32 agreement, int8
batch 1 vs batch 32 agreement.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nmt.checkpoints import CheckpointLoader
from nmt.errors import NmtError
from nmt.export.graphs import DECODER_FILE, ENCODER_FILE, export_graphs
from nmt.export.parity import TOLERANCE, Agreement, Decodings, NumericParity, numeric_parity
from nmt.paths import data_dir
from nmt.tokenizer import Tokenizer
from nmt.translator import Translator
from nmt.tsv import TsvError, read_sources

if TYPE_CHECKING:
    from nmt.model.seq2seq import Seq2Seq
    from nmt.search.onnx_backend import OnnxStepModel

logger = logging.getLogger(__name__)

REPORT_FILE = "export_report.json"
OUTPUT_DIRS = ("fp32", "int8", "int8-static")
PARITY_BATCH = 32
NUMERIC_SENTENCES = 32


EXIT_FAILED = 1  # exit status when the parity check did not hold (the report is written)


class ExportError(NmtError, RuntimeError):
    """The export failed, or its parity check did not hold; `report` has the numbers.

    A refusal (bad input: no run, no valid split) exits 2; a failed parity check, which carries
    its report, exits 1.
    """

    def __init__(self, message: str, report: ExportReport | None = None) -> None:
        super().__init__(message)
        self.report = report
        if report is not None:
            self.exit_code = EXIT_FAILED


@dataclasses.dataclass(kw_only=True)
class ExportReport:
    """What an export wrote and what its parity check found (also written as JSON).

    files: path relative to out_dir -> size in bytes. Agreements are shares of sentences with
    identical best-hypothesis tokens. `passed` is False exactly when `failures` is not empty.
    """

    run_dir: str
    checkpoint: str
    out_dir: str
    parameters: int
    tolerance: float
    files: dict[str, int] = dataclasses.field(default_factory=dict)
    numeric: NumericParity | None = None
    fp32_vs_torch: Agreement | None = None
    fp32_batch1_vs_32: Agreement | None = None
    int8_vs_fp32: Agreement | None = None
    int8_batch1_vs_32: Agreement | None = None
    static_int8: dict[str, Any] | None = None
    failures: list[str] = dataclasses.field(default_factory=list)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "passed": self.passed}

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


def valid_sources(corpus_dir: Path, count: int) -> list[str]:
    """`count` source sentences spread evenly over the corpus's valid split (all if fewer)."""
    path = corpus_dir / "valid.tsv"
    try:
        sources = [s for s in read_sources(path) if s.strip()]
    except TsvError as err:
        raise ExportError(f"no valid split for the parity check: {err}") from err
    if not sources:
        raise ExportError(f"{path}: no sentences for the parity check")
    if len(sources) <= count:
        return sources
    step = len(sources) / count
    return [sources[int(i * step)] for i in range(count)]


def encode_sources(model: Seq2Seq, tokenizer: Tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Encoder input ids of `texts` exactly as the Translator makes them: its own preprocessing
    (`Translator.encoder_inputs`: one row per distinct sentence)."""
    from nmt.search.torch_backend import TorchStepModel

    return Translator(TorchStepModel(model), tokenizer).encoder_inputs(texts)


@contextmanager
def _one_thread() -> Iterator[None]:
    """torch on one thread while the parity check runs ORT (also on one) in this process."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _onnx(folder: Path) -> OnnxStepModel:
    from nmt.search.onnx_backend import OnnxStepModel

    return OnnxStepModel(folder / ENCODER_FILE, folder / DECODER_FILE, threads=1)


def check_fp32(
    model: Seq2Seq, fp32_dir: Path, rows: Sequence[Sequence[int]], report: ExportReport
) -> Decodings:
    """Numeric and token parity of the fp32 graphs with PyTorch; failures go to `report`.
    Returns the fp32 ONNX decodings at batch PARITY_BATCH (the reference for int8)."""
    from nmt.search.torch_backend import TorchStepModel

    reference, fp32 = TorchStepModel(model), _onnx(fp32_dir)
    numeric_rows = sorted(rows, key=len)[-NUMERIC_SENTENCES:]  # the longest: most padding
    report.numeric = numeric_parity(reference, fp32, numeric_rows)
    if not report.numeric.worst <= report.tolerance:
        report.failures.append(
            f"fp32 ONNX differs from PyTorch by {report.numeric.worst:.3g} "
            f"(tolerance {report.tolerance:g}): {report.numeric}"
        )
    torch_tokens = Decodings.of(reference, rows, batch_size=PARITY_BATCH)
    ort_tokens = Decodings.of(fp32, rows, batch_size=PARITY_BATCH)
    report.fp32_vs_torch = ort_tokens.agreement(torch_tokens)
    if (report.fp32_vs_torch.greedy, report.fp32_vs_torch.beam) != (1.0, 1.0):
        report.failures.append(
            f"fp32 ONNX tokens differ from PyTorch's: identical greedy "
            f"{report.fp32_vs_torch.greedy:.1%}, beam-5 {report.fp32_vs_torch.beam:.1%}"
        )
    report.fp32_batch1_vs_32 = Decodings.of(fp32, rows, batch_size=1).agreement(ort_tokens)
    return ort_tokens


def check_int8(
    int8_dir: Path, rows: Sequence[Sequence[int]], fp32_tokens: Decodings
) -> tuple[Agreement, Agreement]:
    """(int8 vs fp32 at batch PARITY_BATCH, int8 batch 1 vs batch PARITY_BATCH)."""
    int8 = _onnx(int8_dir)
    batched = Decodings.of(int8, rows, batch_size=PARITY_BATCH)
    single = Decodings.of(int8, rows, batch_size=1)
    return batched.agreement(fp32_tokens), single.agreement(batched)


def _quantize_dynamic(model: Seq2Seq, fp32_dir: Path, int8_dir: Path) -> None:
    """int8/ from fp32/'s encoder and from a decoder step traced with one gate product per
    layer (`StackedCell.joint_step`): one dynamic quantization and one integer product per
    layer instead of two, and one scale over [input; h] (int8 agreement with fp32 measured
    up, 86.3 -> 89.0% greedy on the shipped model's valid sentences). A GRU has no joint form:
    its trace is the fp32 graph's."""
    from nmt.export.quantize import quantize_dynamic_graph

    quantize_dynamic_graph(fp32_dir / ENCODER_FILE, int8_dir / ENCODER_FILE)
    with tempfile.TemporaryDirectory(prefix="nmt-joint-") as tmp:
        source = export_graphs(model, Path(tmp), joint_gates=True, graphs=("decoder_step",))
        quantize_dynamic_graph(source["decoder_step"], int8_dir / DECODER_FILE)


def static_experiment(
    fp32_dir: Path,
    out: Path,
    calibration: Sequence[Sequence[int]],
    rows: Sequence[Sequence[int]],
    fp32_tokens: Decodings,
) -> dict[str, Any]:
    """Static int8 graphs calibrated on `calibration` (source ids, kept apart from the parity
    rows), and their agreement with fp32 and between batch 1 and 32 (as for dynamic)."""
    from nmt.export.parity import GREEDY, RecordingModel, decode_all
    from nmt.export.quantize import quantize_static_graph
    from nmt.translator import pad_batch

    recorder = RecordingModel(_onnx(fp32_dir), every=3)
    batches = [calibration[i : i + 16] for i in range(0, len(calibration), 16)]
    encoder_feeds = [
        dict(zip(("src_ids", "src_lengths"), pad_batch(b), strict=True)) for b in batches
    ]
    for batch in batches:
        decode_all(recorder, batch, GREEDY, batch_size=len(batch))
    quantize_static_graph(fp32_dir / ENCODER_FILE, out / ENCODER_FILE, encoder_feeds)
    quantize_static_graph(fp32_dir / DECODER_FILE, out / DECODER_FILE, recorder.feeds)
    vs_fp32, invariance = check_int8(out, rows, fp32_tokens)
    return {
        "dir": out.name,
        "calibration_sentences": len(calibration),
        "calibration_steps": len(recorder.feeds),
        "vs_fp32": dataclasses.asdict(vs_fp32),
        "batch1_vs_32": dataclasses.asdict(invariance),
    }


def _files(out_dir: Path) -> dict[str, int]:
    return {
        str(p.relative_to(out_dir)): p.stat().st_size
        for p in sorted(out_dir.rglob("*.onnx"))
        if p.is_file()
    }


def export_run(
    run_dir: Path,
    out_dir: Path,
    *,
    load_checkpoint: CheckpointLoader,
    checkpoint: str = "best.ckpt",
    quantize: bool = True,
    keep_fp32: bool = True,
    parity_sentences: int = 200,
    corpus_dir: Path | None = None,
    static: bool = False,
) -> ExportReport:
    """Export a run (see the module docstring for the layout) and check parity.

    run_dir holds config.yaml, spm.model and the checkpoint (training/train.py's layout), which
    `load_checkpoint` (training's `training.checkpoint.load_checkpoint`) reads;
    corpus_dir defaults to the run config's `data`, else $NMT_HOME/data/<pair>; its valid.tsv
    gives the parity sentences. Raises ExportError (with the report, also written to
    OUT_DIR/export_report.json) when the parity check fails.
    """
    lap = _Laps()
    cfg, model = load_checkpoint(run_dir / checkpoint)
    tokenizer = Tokenizer.load(run_dir / "spm.model")
    corpus = corpus_dir or cfg.data or data_dir(cfg.pair)
    texts = valid_sources(corpus, 2 * parity_sentences if static else parity_sentences)
    all_rows = encode_sources(model, tokenizer, texts)
    # With `static`, every other sentence calibrates and the rest check parity.
    rows, calibration = (all_rows[::2], all_rows[1::2]) if static else (all_rows, [])
    report = ExportReport(
        run_dir=str(run_dir),
        checkpoint=checkpoint,
        out_dir=str(out_dir),
        parameters=model.num_parameters(),
        tolerance=TOLERANCE,
        seconds=lap.seconds,
    )
    fp32_dir, int8_dir, static_dir = (out_dir / name for name in OUTPUT_DIRS)
    for stale in (fp32_dir, int8_dir, static_dir):  # never mix graphs of two exports
        shutil.rmtree(stale, ignore_errors=True)
    export_graphs(model, fp32_dir)
    lap("export")
    if quantize:
        _quantize_dynamic(model, fp32_dir, int8_dir)
        lap("quantize")
    with _one_thread():
        fp32_tokens = check_fp32(model, fp32_dir, rows, report)
        lap("parity_fp32")
        if quantize:
            report.int8_vs_fp32, report.int8_batch1_vs_32 = check_int8(int8_dir, rows, fp32_tokens)
            lap("parity_int8")
        if static:
            report.static_int8 = static_experiment(
                fp32_dir, static_dir, calibration, rows, fp32_tokens
            )
            lap("static_int8")
    if not keep_fp32 and report.passed:
        shutil.rmtree(fp32_dir)
    report.files = _files(out_dir)
    report.write(out_dir / REPORT_FILE)
    _log_summary(report)
    if not report.passed:
        raise ExportError("parity check failed: " + "; ".join(report.failures), report)
    return report


class _Laps:
    """Wall time of consecutive phases: `lap(name)` records the time since the previous lap."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._last, 2)
        self._last = now


def _log_summary(report: ExportReport) -> None:
    numeric = report.numeric
    if numeric is not None:
        logger.info(
            "fp32 vs PyTorch: max |diff| %.2g (log-probs %.2g, tolerance %g); tokens %s",
            numeric.worst,
            numeric.log_probs,
            report.tolerance,
            report.fp32_vs_torch,
        )
    if report.int8_vs_fp32 is not None:
        logger.info(
            "int8 vs fp32: %s; int8 batch 1 vs 32: %s",
            report.int8_vs_fp32,
            report.int8_batch1_vs_32,
        )
    logger.info("files: %s", report.files)
