"""Dependencies point one way: the core imports neither training nor serving, those two never
import each other, and no two packages import each other (directly or round a loop)."""

from __future__ import annotations

from pathlib import Path

from tests.import_graph import cycles, edges, forbidden


def test_the_core_imports_neither_training_nor_serving() -> None:
    assert forbidden(set(edges())) == []


def test_no_cycle_between_packages() -> None:
    assert cycles(set(edges())) == []


def test_the_graph_sees_the_core_packages_and_their_users() -> None:
    found = set(edges())
    assert ("training", "nmt.model") in found
    assert ("serving", "nmt.translator") in found
    assert ("nmt.export", "nmt.checkpoints") in found


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in ("nmt", "training", "serving"):
        (root / package).mkdir(exist_ok=True)
    return root


def test_a_lazy_forbidden_import_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "nmt/__init__.py": "",
            "nmt/cli.py": "def run():\n    from training.train import train\n",
            "training/__init__.py": "",
            "training/train.py": "from nmt import cli\n",
        },
    )
    found = edges(root)
    assert forbidden(set(found)) == [("nmt.cli", "training")]
    assert found["nmt.cli", "training"] == {"nmt.cli"}


def test_a_cycle_through_a_third_package_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "nmt/a/__init__.py": "from nmt.b import x\n",
            "nmt/b/__init__.py": "import nmt.c.y\n",
            "nmt/c/y.py": "from nmt.a import z\n",
            "nmt/d.py": "from nmt.a import z\n",
        },
    )
    assert cycles(set(edges(root))) == [["nmt.a", "nmt.b", "nmt.c"]]
