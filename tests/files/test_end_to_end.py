"""The real pipeline on files: an exported ONNX bundle (a random tiny model: the words are
noise, the structure is not) translates a `.pot` and a text file in a fresh process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nmt.files.placeholders import placeholders_intact
from tests.files.test_po import ENTRIES, HEADER, units

pytestmark = pytest.mark.slow


def nmt_translate(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "nmt.cli", "translate", *map(str, args), "--threads", "1"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300, check=False)


def test_a_catalog_and_a_text_file_through_an_onnx_bundle(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    from tests.translate_helpers import onnx_bundle

    bundle, _ = onnx_bundle(tmp_path_factory)
    source = tmp_path / "demo.pot"
    source.write_text(HEADER + ENTRIES, encoding="utf-8")
    proc = nmt_translate(
        source, tmp_path / "de.po", "--bundle", bundle, "--beam", "2", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["translated"] + result.get("failed_check", 0) == 4 and result["kept"] == 1
    for unit in units(tmp_path / "de.po").values():
        if unit.isfuzzy():  # every machine translation keeps the source's placeholders
            forms = unit.source.strings if unit.hasplural() else [str(unit.source)]
            targets = unit.target.strings if unit.hasplural() else [str(unit.target)]
            python = unit.hastypecomment("python-format")
            for src, tgt in zip(
                [forms[0], *[forms[-1]] * (len(targets) - 1)], targets, strict=True
            ):
                assert placeholders_intact(src, tgt, numbered_ok=not python), (src, tgt)
    if shutil.which("msgfmt"):
        check = ["msgfmt", "--check", "--use-fuzzy", "-o", "/dev/null", str(tmp_path / "de.po")]
        assert subprocess.run(check, capture_output=True, check=False).returncode == 0

    lines = ["Open the file %s.", "", "Save {0} files?", "   "]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = nmt_translate(
        tmp_path / "in.txt", tmp_path / "out.txt", "--bundle", bundle, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    out = (tmp_path / "out.txt").read_text(encoding="utf-8").split("\n")
    assert len(out) == 5 and out[1] == "" and out[3] == "   " and out[4] == ""
    assert out[0].count("%s") == 1 and out[2].count("{0}") == 1
