"""`nmt translate`: stdin lines -> one translation per line on stdout, in flushed chunks; every
refusal is one line on stderr, nothing on stdout, no traceback."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nmt import cli
from nmt.bundle import DECODER
from nmt.tokenizer import Tokenizer
from nmt.translator import Translation, Translator
from tests.translate_helpers import CopyModel, tiny_bundle, train_tiny_tokenizer


@pytest.fixture(scope="module")
def spm_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spm") / "sentencepiece.model"
    train_tiny_tokenizer(path)
    return path


def run_cli(args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`nmt translate ARGS` in a fresh process; bytes both ways, so CRLF is seen as written."""
    proc = subprocess.run(
        [sys.executable, "-m", "nmt.cli", "translate", *args],
        input=stdin.encode(),
        capture_output=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def assert_refused(proc: subprocess.CompletedProcess[str], message: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert message in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "bundle models/en-de: no such folder"),  # the default, relative to the cwd
        (["--bundle", "nowhere"], "bundle nowhere: no such folder"),
        (["--beam", "0"], "--beam must be >= 1, got 0"),
        (["--beam", "five"], "argument --beam: invalid int value: 'five'"),
        (["--batch-size", "0"], "--batch-size must be >= 1"),
        (["--threads", "0"], "--threads must be >= 1"),
        (["--lanes", "0"], "--lanes must be >= 1"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["input.txt"], "give both INPUT and OUTPUT (or neither, for stdin)"),
        (["--column", "2"], "--column need INPUT and OUTPUT files"),
        (["a.txt", "b.txt", "c.txt"], "unrecognized arguments: c.txt"),
    ],
)
def test_bad_options_are_refused_in_one_line(
    tmp_path: Path,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In this process (a fresh one costs half a second a case): `main`'s own exit path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("Open the file.\n"))
    try:
        code = cli.main(["translate", *args])
    except SystemExit as exit_:  # argparse's usage errors
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert_refused(subprocess.CompletedProcess(args, code, out, err), message)


def test_a_refusal_in_a_real_process_is_one_line_without_traceback(tmp_path: Path) -> None:
    assert_refused(run_cli([], tmp_path, stdin="Open the file.\n"), "models/en-de: no such folder")


def test_a_corrupted_bundle_is_refused_naming_the_file(tmp_path: Path, spm_model: Path) -> None:
    bundle = tiny_bundle(tmp_path / "bundle", spm_model).path
    data = bytearray((bundle / DECODER).read_bytes())
    data[7] ^= 0xFF
    (bundle / DECODER).write_bytes(bytes(data))
    proc = run_cli(["--bundle", str(bundle)], tmp_path, stdin="Open the file.\n")
    assert_refused(proc, "decoder_step.onnx is altered")


def test_intact_files_that_are_not_graphs_are_refused(tmp_path: Path, spm_model: Path) -> None:
    bundle = tiny_bundle(tmp_path / "bundle", spm_model).path  # checksums fine, graphs fake
    proc = run_cli(["--bundle", str(bundle)], tmp_path, stdin="Open the file.\n")
    assert_refused(proc, f"bundle {bundle}: ")


class FlushCounter(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0
        self.lines_at_flush: list[int] = []

    def flush(self) -> None:
        self.flushes += 1
        self.lines_at_flush.append(self.getvalue().count("\n"))
        super().flush()


@pytest.fixture
def copy_bundle(monkeypatch: pytest.MonkeyPatch, spm_model: Path) -> list[list[str]]:
    """`Translator.load` gives a copy-model Translator; returns the list of translate calls."""
    calls: list[list[str]] = []
    tokenizer = Tokenizer.load(spm_model)

    class Recording(Translator):
        def translate(self, texts, *args, **kwargs) -> list[Translation]:  # type: ignore[no-untyped-def, override]
            calls.append(list(texts))
            return super().translate(texts, *args, **kwargs)

    def load(
        path: Path,
        *,
        threads: int | None = None,
        batch_size: int = 32,
        preprocessing: int | None = None,
        lanes: int = 1,
    ) -> Translator:
        # --threads 1: one lane by default (a lane per thread)
        assert path == Path("some/bundle") and threads == 1 and batch_size == 3 and lanes == 1
        model = CopyModel(tokenizer.vocab_size)
        return Recording(model, tokenizer, batch_size=batch_size, preprocessing=preprocessing)

    monkeypatch.setattr(Translator, "load", staticmethod(load))
    return calls


def test_stdin_lines_become_stdout_lines_in_flushed_chunks(
    monkeypatch: pytest.MonkeyPatch, copy_bundle: list[list[str]]
) -> None:
    lines = [
        "the user opens the file.\n",
        "\n",
        "the menu. the program saves the list!\n",
        "   \n",
        "the window %s.\r\n",
        "the folder",  # no final newline
    ]
    stdout = FlushCounter()
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(lines)))
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(cli, "CHUNK_LINES", 4)
    args = ["translate", "--bundle", "some/bundle", "--threads", "1", "--batch-size", "3"]
    assert cli.main(args) == 0
    out = stdout.getvalue()
    # The copy model gives each line back: one output line per input line, blank lines blank,
    # a CRLF line ends in CRLF, and the unterminated last line gets its newline.
    assert out == "".join(lines) + "\n"
    assert copy_bundle == [
        ["the user opens the file.", "", "the menu. the program saves the list!", "   "],
        ["the window %s.", "the folder"],
    ]
    assert stdout.lines_at_flush[:2] == [4, 6]


def test_empty_stdin_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, copy_bundle: list[list[str]]
) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(sys, "stdout", stdout)
    args = ["translate", "--bundle", "some/bundle", "--threads", "1", "--batch-size", "3"]
    assert cli.main(args) == 0
    assert stdout.getvalue() == "" and copy_bundle == []


@pytest.mark.slow
def test_end_to_end_on_an_exported_bundle(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """The real pipeline in a fresh process: bundle -> ONNX Runtime -> stdout, one line per
    line (a random tiny model: the text is noise, the layout and placeholders are not)."""
    from tests.translate_helpers import onnx_bundle

    bundle, _ = onnx_bundle(tmp_path_factory)
    lines = ["the user opens %s now.", "", "the file. the window.", "   ", "the menu {0}"]
    stdin = "\n".join(lines[:3]) + "\n   \r\n" + lines[4] + "\n"  # one CRLF line
    proc = run_cli(["--bundle", str(bundle), "--beam", "2", "--threads", "1"], tmp_path, stdin)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = proc.stdout.split("\n")
    assert len(out) == len(lines) + 1 and out[-1] == ""  # one line per line, then the final \n
    assert out[1] == "" and out[3] == "   \r"  # blank lines stay; the CRLF line ends in CRLF
    assert out[0].count("%s") == 1 and out[4].count("{0}") == 1
    translator = Translator.load(bundle, threads=1)
    expected = translator.translate(lines, beam_size=2)
    assert [line.removesuffix("\r") for line in out[:-1]] == [r.text for r in expected]
    assert not any(re.search(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]", r.text) for r in expected)


def test_lanes_give_the_same_fp32_translations(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A big batch split over two lanes (one thread each) translates exactly as one search
    over the whole batch: the fp32 graphs are batch-invariant, and the lanes keep input order."""
    from nmt.search import Lanes
    from tests.translate_helpers import onnx_bundle

    bundle, _ = onnx_bundle(tmp_path_factory)
    sources = [f"the file {i} opens the window {i % 7} now." for i in range(40)]
    whole = Translator.load(bundle, threads=2, batch_size=40)
    split = Translator.load(bundle, threads=2, batch_size=40, lanes=2)
    assert isinstance(split.model, Lanes) and split.model.split(40, whole.decoding) == 2
    for beam in (1, 2):
        want = [t.text for t in whole.translate(sources, beam_size=beam)]
        assert [t.text for t in split.translate(sources, beam_size=beam)] == want
    assert not isinstance(Translator.load(bundle, threads=1, lanes=2).model, Lanes)


@pytest.mark.slow
def test_do_not_translate_terms_pass_through(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """`--term` (repeatable) keeps each term exactly, as often as the input has it."""
    from tests.translate_helpers import onnx_bundle

    bundle, _ = onnx_bundle(tmp_path_factory)
    stdin = "the user opens Nautilus now.\nthe Files menu of Nautilus and Files.\n"
    args = ["--bundle", str(bundle), "--threads", "1", "--term", "Nautilus", "--term", "Files"]
    proc = run_cli(args, tmp_path, stdin)
    assert proc.returncode == 0, proc.stderr
    first, second, _ = proc.stdout.split("\n")
    assert first.count("Nautilus") == 1
    assert second.count("Nautilus") == 1 and second.count("Files") == 2
