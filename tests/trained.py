"""Fixtures of a tiny trained run (generated corpus, the tiny config, 60 steps) and its export,
shared by the export and evaluation tests (a pytest plugin, see tests/conftest.py): trained so
that logits are not flat and near-ties are rare, as in a real model.

Training and exporting take most of a minute once per session, so every test that asks for
`run_dir`, `exported` or `bundles` is marked `export` here, and `make test-fast` leaves it out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nmt.cli import main
from nmt.export import ExportReport, export_run
from tests.synthetic import import_corpus
from training.checkpoint import load_checkpoint

TINY = Path(__file__).resolve().parents[1] / "configs" / "tiny.yaml"
PARITY_SENTENCES = 64
TRAINED_FIXTURES = frozenset({"run_dir", "exported", "bundles"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `export` every test that needs the trained run (directly or through a fixture)."""
    for item in items:
        if TRAINED_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.export)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export-corpus")
    return import_corpus(root)


@pytest.fixture(scope="session")
def run_dir(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("export-run") / "run"
    args = ["train", "--config", str(TINY), "--data", str(corpus), "--run-dir", str(run)]
    assert main([*args, "trainer.max_steps=60", "trainer.val_check_interval=60"]) == 0
    return run


@pytest.fixture(scope="session")
def exported(
    run_dir: Path, corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ExportReport]:
    out = tmp_path_factory.mktemp("export-out")
    report = export_run(
        run_dir,
        out,
        load_checkpoint=load_checkpoint,
        parity_sentences=PARITY_SENTENCES,
        corpus_dir=corpus,
    )
    return out, report


@pytest.fixture(scope="session")
def bundles(run_dir: Path, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`nmt export` of the tiny run: ROOT/int8 (the bundle), ROOT/fp32, ROOT/static,
    ROOT/work."""
    root = tmp_path_factory.mktemp("bundles")
    args = [
        str(run_dir),
        str(root / "int8"),
        "--work",
        str(root / "work"),
        "--corpus",
        str(corpus),
        "--fp32-bundle",
        str(root / "fp32"),
        "--static-bundle",
        str(root / "static"),
        "--parity-sentences",
        "16",
        "--tune-sentences",
        "24",
    ]
    assert main(["export", *args]) == 0
    return root
