"""translate-toolkit's `pofilter` as a test (issue 14, item 6).

A catalog written for this test (this file's own text, no licence beyond the project's) with
tags, brackets, quotes, printf and Python placeholders, options and help columns, accelerators,
URLs, e-mail addresses and emoji is translated by `nmt translate` with preprocessing version 2
and a model that copies its (protected, tokenized) source, so every step between the catalog
and the model and back (accelerators, segmentation into help columns, normalisation, protect,
SentencePiece, restore, the catalog writer) must keep what pofilter checks. `pofilter` then
checks the result: at least 95% of the entries are filled, and a filled entry fails a check
only where the source-copied catalog (msgstr = msgid) fails it too.

Not covered here: a model that drops symbols. Restore's fallback puts them back, but where the
model left the spaces around a dropped symbol the result may hold a double space, and the
proportional position can move a comma (`-o --output=FILE,`); that is restore's behaviour in
every version, left for a follow-up (it would change version-1 output).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nmt import cli
from nmt.tokenizer import Tokenizer
from nmt.translator import Translator
from tests.translate_helpers import CopyModel, train_tiny_tokenizer

CHECKS = (
    "printf",
    "pythonbraceformat",
    "variables",
    "xmltags",
    "brackets",
    "options",
    "doublespacing",
    "startwhitespace",
    "endwhitespace",
    "newlines",
    "urls",
    "emails",
    "accelerators",
    "tabs",
)

ENTRIES: tuple[tuple[str, str], ...] = (
    ("c-format", "Deleted %d of %s files."),
    ("c-format", "Cannot open %s: %s"),
    ("c-format", "%s: %d%% done"),
    ("python-format", "Hello %(name)s, you have %(count)d new messages."),
    ("python-brace-format", "Welcome {user}, {0} items left."),
    ("", "Click <b>Save</b> to keep your changes."),
    ("", 'Read <a href="https://example.org/more">the <i>full</i> story</a> now.'),
    ("", "Line one<br/>line two"),
    ("", "[Installed]"),
    ("", "(system)"),
    ("", "Size: {0} (approx.) [bytes]"),
    ("", '"Trash" is empty.'),
    ("", "The folder „Bilder“ and »Musik« are shared."),
    ("", "  -o, --output=FILE      write output to FILE"),
    ("", "  -n, --lines=NUM        print the first NUM lines\n"),
    ("", "Usage: tool [OPTION]... [FILE]..."),
    ("", "\t--verbose\t\tPrint more details."),
    ("", "Use --force to overwrite existing files."),
    ("", "_Open Recent"),
    ("", "&Save As…"),
    ("", "See https://example.org/help for details."),
    ("", "Write to admin@example.org for access."),
    ("", "Done 👍"),
    ("", "Rating: ★★★☆☆ → better"),
    ("", "First line\nSecond line\n"),
    ("", " Loading… "),
    ("", "Name:  %s"),
    ("", "Version 2.4.1 is stored in /usr/share/tool/data."),
    ("", "Привет and 日本語 are kept."),
    ("", "Press Ctrl+Q to quit."),
)


def po_string(text: str) -> str:
    return (
        '"'
        + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        + '"'
    )


def catalog(copy_source: bool) -> str:
    header = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Language: de\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
    )
    units = []
    for flag, text in ENTRIES:
        flags = f"#, {flag}\n" if flag else ""
        target = po_string(text) if copy_source else '""'
        units.append(f"{flags}msgid {po_string(text)}\nmsgstr {target}\n")
    return header + "\n" + "\n".join(units)


def pofilter_failures(path: Path, tmp: Path) -> dict[str, set[str]]:
    """msgid -> the checks it fails, from pofilter's output catalog (absent: no failure)."""
    pofilter = Path(sys.executable).parent / "pofilter"
    out = tmp / f"{path.stem}-failures.po"
    args = [str(pofilter), "--progress=none", *(f"-t{c}" for c in CHECKS), str(path), str(out)]
    subprocess.run(args, check=True, capture_output=True)
    if not out.exists():
        return {}
    from translate.storage import factory

    failures: dict[str, set[str]] = {}
    for unit in factory.getobject(str(out)).units:
        if unit.isheader():
            continue
        notes = unit.getnotes("translator")
        failures[str(unit.source)] = set(re.findall(r"\(pofilter\) (\w+):", notes))
    return failures


@pytest.fixture(scope="module")
def tok(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    return train_tiny_tokenizer(tmp_path_factory.mktemp("spm") / "sentencepiece.model")


# What version 1 (the first bundle's rules) gets wrong with the same model: help columns
# collapse into one space, and so does the double space of `Name:  %s`.
VERSION_1_EXTRA = {
    "\t--verbose\t\tPrint more details.": {"tabs"},
    "  -n, --lines=NUM        print the first NUM lines\n": {"doublespacing"},
    "  -o, --output=FILE      write output to FILE": {"doublespacing"},
    "Name:  %s": {"doublespacing"},
}


@pytest.mark.parametrize(("version", "expected"), [(2, {}), (1, VERSION_1_EXTRA)])
def test_pofilter_finds_nothing_the_source_copy_does_not(
    tmp_path: Path,
    tok: Tokenizer,
    monkeypatch: pytest.MonkeyPatch,
    version: int,
    expected: dict[str, set[str]],
) -> None:
    pytest.importorskip("translate")
    if not (Path(sys.executable).parent / "pofilter").exists():
        pytest.skip("pofilter (translate-toolkit, the files extra) is not installed")

    def load(path: Path, **_: Any) -> Translator:
        return Translator(CopyModel(tok.vocab_size), tok, preprocessing=version)

    monkeypatch.setattr(Translator, "load", staticmethod(load))
    source = tmp_path / "fixture.po"
    source.write_text(catalog(copy_source=False), encoding="utf-8")
    copied = tmp_path / "copied.po"
    copied.write_text(catalog(copy_source=True), encoding="utf-8")
    machine = tmp_path / "machine.po"
    assert cli.main(["translate", str(source), str(machine), "--bundle", "some/bundle"]) == 0

    from translate.storage import factory

    units = [u for u in factory.getobject(str(machine)).units if not u.isheader()]
    filled = [u for u in units if str(u.target)]
    assert len(units) == len(ENTRIES) and len(filled) >= 0.95 * len(units)
    found = pofilter_failures(machine, tmp_path)
    baseline = pofilter_failures(copied, tmp_path)
    extra = {
        msgid: checks - baseline.get(msgid, set())
        for msgid, checks in found.items()
        if checks - baseline.get(msgid, set())
    }
    assert extra == expected
