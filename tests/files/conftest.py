"""Fixtures of the file-translation tests: the fake translator behind `nmt translate` and a
runner that calls the CLI in-process and returns (exit status, stdout, stderr)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nmt import cli
from tests.files.fake import FakeTranslator, install

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTranslator:
    return install(monkeypatch)


@pytest.fixture
def run(fake: FakeTranslator, capsys: pytest.CaptureFixture[str]) -> Run:
    """`run(input, output, *options)` -> (status, stdout, stderr) of `nmt translate`."""

    def call(*args: Any) -> tuple[int, str, str]:
        status = cli.main(["translate", *map(str, args), "--bundle", "some/bundle"])
        out, err = capsys.readouterr()
        return status, out, err

    return call


def summary(stdout: str) -> dict[str, Any]:
    """The JSON summary `nmt translate INPUT OUTPUT` prints on stdout."""
    result: dict[str, Any] = json.loads(stdout)
    return result


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path
