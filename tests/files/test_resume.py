"""Resumable runs: an interrupted run (an exception mid-chunk, a torn write, `kill -9`)
continues when the same command runs again, and every segment appears once, in order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nmt.files import catalog, stream
from tests.files.conftest import Run, summary, write
from tests.files.fake import FakeTranslator, german

ROOT = Path(__file__).resolve().parents[2]


def interrupt_on_call(fake: FakeTranslator, monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """Make the fake's n-th translate call raise KeyboardInterrupt (as Ctrl-C would)."""
    real = fake.translate

    def translate(texts: Any, *args: Any, **kwargs: Any) -> Any:
        if len(fake.calls) == n - 1:
            fake.calls.append(list(texts))
            raise KeyboardInterrupt
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(fake, "translate", translate)


def test_an_interrupted_text_run_resumes_after_a_torn_write(
    tmp_path: Path, run: Run, fake: FakeTranslator, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [f"Open the file {i}" for i in range(45)]
    source = write(tmp_path / "in.txt", "\n".join(lines) + "\n")
    out = tmp_path / "out.txt"
    monkeypatch.setattr(stream, "CHUNK_LINES", 10)
    with monkeypatch.context() as patch:
        interrupt_on_call(fake, patch, 3)
        assert run(source, out)[0] == 130  # interrupted while translating lines 21-30
    partial = tmp_path / "out.txt.partial"
    state = json.loads((tmp_path / "out.txt.partial.json").read_text())
    assert state["position"]["done"] == 20 and not out.exists()
    with partial.open("ab") as fh:  # a chunk half written when the process died
        fh.write("Öffnen die Datei 20\nÖffn".encode())
    fake.calls.clear()
    status, stdout, err = run(source, out)
    assert status == 0, err
    assert fake.calls[0][0] == "Open the file 20"  # lines 1-20 were not translated again
    assert out.read_text().splitlines() == [german(line) for line in lines]
    assert summary(stdout)["lines"] == 45 and summary(stdout)["translated"] == 45
    assert not partial.exists()


def test_a_rerun_with_other_settings_is_refused(
    tmp_path: Path, run: Run, fake: FakeTranslator, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write(tmp_path / "in.txt", "Open\n" * 30)
    monkeypatch.setattr(stream, "CHUNK_LINES", 10)
    with monkeypatch.context() as patch:
        interrupt_on_call(fake, patch, 2)
        assert run(source, tmp_path / "out.txt")[0] == 130
    status, out, err = run(source, tmp_path / "out.txt", "--beam", "2")
    assert status == 2 and out == "" and "decoding differ" in err
    assert "delete out.txt.partial and out.txt.partial.json to start over" in err


def test_an_interrupted_catalog_reuses_the_committed_translations(
    tmp_path: Path, run: Run, fake: FakeTranslator, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = "".join(f'msgid "Open the file {i}"\nmsgstr ""\n\n' for i in range(7))
    source = write(tmp_path / "in.po", entries)
    monkeypatch.setattr(catalog, "CHUNK_TEXTS", 2)
    assert run(source, tmp_path / "whole.po")[0] == 0
    with monkeypatch.context() as patch:
        interrupt_on_call(fake, patch, len(fake.calls) + 3)
        assert run(source, tmp_path / "out.po")[0] == 130
    fake.calls.clear()
    assert run(source, tmp_path / "out.po")[0] == 0
    assert fake.calls == [["Open the file 4", "Open the file 5"], ["Open the file 6"]]
    assert (tmp_path / "out.po").read_text() == (tmp_path / "whole.po").read_text()


_SLOW_CLI = """
import sys, pytest
from nmt import cli
from nmt.files import stream
from tests.files.fake import install
install(pytest.MonkeyPatch(), delay=0.05)
stream.CHUNK_LINES = 7
sys.exit(cli.main(["translate", sys.argv[1], sys.argv[2], "--bundle", "some/bundle"]))
"""


def test_kill_9_mid_run_then_rerun_gives_every_line_once_in_order(
    tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [f"Save the file {i}" if i % 4 else "" for i in range(300)]
    source = write(tmp_path / "in.txt", "\n".join(lines) + "\n")
    out, state = tmp_path / "out.txt", tmp_path / "out.txt.partial.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-c", _SLOW_CLI, str(source), str(out)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if state.exists() and json.loads(state.read_text())["position"]["done"] >= 70:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and not out.exists()
    monkeypatch.setattr(stream, "CHUNK_LINES", 50)  # the chunk size may change on resume
    status, _, err = run(source, out)
    assert status == 0, err
    assert out.read_text().split("\n") == [german(line) for line in lines] + [""]
