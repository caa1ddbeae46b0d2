"""nmt.progress: the one progress-bar wrapper, with and without tqdm."""

from __future__ import annotations

import sys

import pytest

from nmt.progress import ProgressBar, progress


def test_progress_yields_every_item_and_draws_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    assert list(progress(["a", "b", "c"], desc="steps", unit="step")) == ["a", "b", "c"]
    err = capsys.readouterr().err
    assert "steps" in err and "3/3" in err  # the total came from len()


def test_a_terminal_only_bar_is_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    with ProgressBar(10, initial=4, desc="out.po", unit="seg") as bar:
        bar.update(6)
    assert capsys.readouterr().err == ""


def test_without_tqdm_there_is_no_bar_and_nothing_breaks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # `import tqdm.auto` raises ImportError
    assert list(progress(iter(range(3)), desc="steps")) == [0, 1, 2]
    with ProgressBar(5, desc="x", terminal_only=False) as bar:
        bar.update(5)
    assert capsys.readouterr().err == ""
