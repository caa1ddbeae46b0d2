"""One error family: every refusal is an NmtError with its exit code, and the CLI maps the base."""

from __future__ import annotations

import pytest

from nmt import cli
from nmt.bundle import BundleError
from nmt.config import ConfigError
from nmt.corpus.apt import AptError
from nmt.corpus.readers import CorpusInputError
from nmt.errors import EXIT_REFUSED, NmtError, UsageError
from nmt.evaluate.testsets import TestSetError
from nmt.export import ExportError, ExportReport
from nmt.files.errors import FileInputError
from nmt.search.onnx_backend import OnnxModelError
from nmt.tokenizer import TokenizerError
from nmt.tsv import TsvError

REFUSALS = [
    AptError, BundleError, ConfigError, CorpusInputError, ExportError, OnnxModelError,
    TestSetError, TokenizerError, TsvError, UsageError,
]  # fmt: skip


@pytest.mark.parametrize("kind", REFUSALS, ids=lambda k: k.__name__)
def test_every_refusal_is_an_nmt_error_that_exits_2(kind: type[NmtError]) -> None:
    err = kind("what went wrong")
    assert isinstance(err, NmtError) and err.exit_code == EXIT_REFUSED
    assert str(err) == "what went wrong"


def test_file_input_errors_name_file_and_line() -> None:
    err = FileInputError("in.po", "bad entry", line=7)
    assert isinstance(err, NmtError) and str(err) == "in.po:7: bad entry"


def test_a_failed_parity_check_exits_1() -> None:
    report = ExportReport(run_dir="r", checkpoint="c", out_dir="o", parameters=1, tolerance=1e-4)
    assert ExportError("parity check failed", report).exit_code == 1
    assert ExportError("no run").exit_code == EXIT_REFUSED


def test_the_cli_reports_any_refusal_in_one_line_with_its_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class CustomError(NmtError):
        exit_code = 3

    def refuse(_: object) -> int:
        raise CustomError("custom refusal")

    monkeypatch.setattr(cli, "_translate", refuse)
    assert cli.main(["translate"]) == 3
    assert capsys.readouterr().err == "nmt: error: custom refusal\n"
