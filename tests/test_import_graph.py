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
    """A throwaway repository: `files` ({path: text}) under the three package folders."""
    for package in ("nmt", "training", "serving"):
        (root / package).mkdir()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


# A core module that imports training inside a function (and training importing the core).
LAZY = {"nmt/cli.py": "def run():\n    from training.train import train\n"}
LAZY |= {"training/train.py": "from nmt import cli\n"}
# nmt.a -> nmt.b -> nmt.c -> nmt.a, and nmt.d beside the loop.
LOOP = {"nmt/a/__init__.py": "from nmt.b import x\n", "nmt/b/__init__.py": "import nmt.c.y\n"}
LOOP |= {"nmt/c/y.py": "from nmt.a import z\n", "nmt/d.py": "from nmt.a import z\n"}


def test_a_lazy_forbidden_import_is_caught(tmp_path: Path) -> None:
    found = edges(_tree(tmp_path, LAZY))
    assert forbidden(set(found)) == [("nmt.cli", "training")]
    assert found["nmt.cli", "training"] == {"nmt.cli"}


def test_a_cycle_through_a_third_package_is_caught(tmp_path: Path) -> None:
    assert cycles(set(edges(_tree(tmp_path, LOOP)))) == [["nmt.a", "nmt.b", "nmt.c"]]
