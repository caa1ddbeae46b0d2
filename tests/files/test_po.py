"""gettext catalogs: fill empty msgstrs, keep what is there, mark fuzzy, plurals, context,
comments, header, newlines, placeholders and accelerators; the output passes msgfmt --check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nmt.translator import Translation
from tests.files.conftest import Run, summary, write
from tests.files.fake import FakeTranslator, german

pytest.importorskip("translate.storage.pypo")
from translate.storage import pypo

HEADER = r"""# A template.
#, fuzzy
msgid ""
msgstr ""
"Project-Id-Version: demo 1.0\n"
"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\n"
"Language: \n"
"MIME-Version: 1.0\n"
"Content-Type: text/plain; charset=CHARSET\n"
"Content-Transfer-Encoding: 8bit\n"
"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\n"

"""
ENTRIES = r"""# translator comment
#. extracted comment
#: src/main.c:10 src/main.c:20
#, c-format
msgctxt "menu"
msgid "_Open %s"
msgstr ""

#, c-format
msgid "%d file"
msgid_plural "%d files"
msgstr[0] ""
msgstr[1] ""

msgid ""
"\n"
"Save the file\n"
msgstr ""

#, python-format
msgid "Click %(name)s here"
msgstr ""

msgid "Quit"
msgstr "Schließen"

#~ msgid "Old"
#~ msgstr ""
"""


def units(path: Path) -> dict[tuple[str, str], Any]:
    store = pypo.pofile.parsestring(path.read_bytes())
    return {(u.getcontext(), str(u.source)): u for u in store.units if not u.isheader()}


def msgfmt_check(path: Path) -> None:
    """msgfmt --check (formats, header, domain) on fuzzy entries too, and accelerators."""
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (gettext) is not installed")
    cmd = ["msgfmt", "--check", "--use-fuzzy", "--check-accelerators=_", "-o", "/dev/null"]
    proc = subprocess.run([*cmd, str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_template_is_filled_fuzzy_with_everything_else_kept(tmp_path: Path, run: Run) -> None:
    source = write(tmp_path / "demo.pot", HEADER + ENTRIES)
    status, out, err = run(source, tmp_path / "de.po")
    assert status == 0, err
    result = summary(out)
    assert result["translated"] == 4 and result["kept"] == 1 and result.get("failed_check", 0) == 0
    found = units(tmp_path / "de.po")
    opened = found[("menu", "_Open %s")]
    assert opened.target == "_Öffnen %s" and opened.isfuzzy()
    assert opened.hastypecomment("c-format") and opened.getlocations() == [
        "src/main.c:10",
        "src/main.c:20",
    ]
    assert "translator comment" in opened.getnotes() and "extracted comment" in opened.getnotes()
    plural = found[("", "%d file")]
    assert plural.target.strings == ["%d Datei", "%d Dateien"] and plural.isfuzzy()
    assert found[("", "\nSave the file\n")].target == "\nSpeichern die Datei\n"
    assert found[("", "Click %(name)s here")].target == "Klicken %(name)s hier"
    quit_ = found[("", "Quit")]
    assert quit_.target == "Schließen" and not quit_.isfuzzy()  # kept, still approved
    text = (tmp_path / "de.po").read_text(encoding="utf-8")
    assert '#~ msgid "Old"' in text
    msgfmt_check(tmp_path / "de.po")


def test_the_template_header_gets_language_plural_forms_and_charset(
    tmp_path: Path, run: Run
) -> None:
    source = write(tmp_path / "demo.pot", HEADER + ENTRIES)
    assert run(source, tmp_path / "de.po")[0] == 0
    store = pypo.pofile.parsestring((tmp_path / "de.po").read_bytes())
    header = store.parseheader()
    assert header["Language"] == "de"
    assert header["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Project-Id-Version"] == "demo 1.0"
    assert "YEAR" not in header["PO-Revision-Date"]
    assert not store.header().isfuzzy()


def test_overwrite_retranslates_existing_entries(tmp_path: Path, run: Run) -> None:
    source = write(tmp_path / "de.po", HEADER + ENTRIES)
    assert run(source, tmp_path / "out.po", "--overwrite")[0] == 0
    quit_ = units(tmp_path / "out.po")[("", "Quit")]
    assert quit_.target == "Beenden" and quit_.isfuzzy()


def test_a_latin1_catalog_is_written_as_utf8(tmp_path: Path, run: Run) -> None:
    text = (
        HEADER.replace("charset=CHARSET", "charset=ISO-8859-1")
        + 'msgid "Quit"\nmsgstr "Schließen"\n\nmsgid "Save"\nmsgstr ""\n'
    )
    source = tmp_path / "latin1.po"
    source.write_bytes(text.encode("latin-1"))
    assert run(source, tmp_path / "out.po")[0] == 0
    data = (tmp_path / "out.po").read_bytes().decode("utf-8")
    assert "charset=UTF-8" in data and 'msgstr "Schließen"' in data
    msgfmt_check(tmp_path / "out.po")


def test_the_declared_accelerator_marker_is_used_once(tmp_path: Path, run: Run) -> None:
    header = HEADER.replace('"Language: \\n"', '"Language: de\\n"\n"X-Accelerator-Marker: &\\n"')
    sources = ["&Save the file", "Op&en", "&Print", "Tom & Jerry", "&Save &As"]
    entries = "".join(f'msgid "{s}"\nmsgstr ""\n\n' for s in sources)
    source = write(tmp_path / "in.po", header + entries)
    assert run(source, tmp_path / "out.po")[0] == 0
    found = units(tmp_path / "out.po")
    assert found[("", "&Save the file")].target == "&Speichern die Datei"  # same initial
    assert found[("", "Op&en")].target == "Öffn&en"  # the same letter inside a word
    assert found[("", "&Print")].target == "&Drucken"  # no P: the first word
    assert found[("", "Tom & Jerry")].target == "Tom & Jerry"  # not an accelerator
    assert found[("", "&Save &As")].target == "&Speichern &As"  # two: text, left alone


def test_a_translation_that_breaks_placeholders_stays_untranslated(
    tmp_path: Path, run: Run, fake: FakeTranslator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restore renumbers reordered printf placeholders (`%2$d`): fine in C, not in Python."""
    reordered = {"%s has %d files": "%2$d Dateien in %1$s"}

    def translate(texts: Any, *args: Any, **kwargs: Any) -> list[Translation]:
        return [Translation(text=reordered.get(t, german(t)), score=0.0) for t in texts]

    monkeypatch.setattr(fake, "translate", translate)
    entries = (
        '#, c-format\nmsgctxt "c"\nmsgid "%s has %d files"\nmsgstr ""\n\n'
        '#, python-format\nmsgctxt "py"\nmsgid "%s has %d files"\nmsgstr ""\n'
    )
    source = write(tmp_path / "in.po", HEADER + entries)
    status, out, err = run(source, tmp_path / "out.po")
    assert status == 0, err
    assert summary(out)["failed_check"] == 1 and summary(out)["translated"] == 1
    found = units(tmp_path / "out.po")
    assert found[("c", "%s has %d files")].target == "%2$d Dateien in %1$s"
    assert found[("py", "%s has %d files")].target == ""
    msgfmt_check(tmp_path / "out.po")


BAD_UTF8 = (
    b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    b'msgid "Open"\nmsgstr ""\n\nmsgid "Bad \xff\xfe here"\nmsgstr ""\n\nmsgid "Save"\nmsgstr ""\n'
)


def test_bytes_invalid_in_the_declared_utf8_are_refused_with_the_line(
    tmp_path: Path, run: Run
) -> None:
    source = tmp_path / "bad.po"
    source.write_bytes(BAD_UTF8)
    status, out, err = run(source, tmp_path / "de.po")
    assert status == 2 and out == ""
    assert f"nmt: error: {source}:8: bytes FF are not valid UTF-8" in err
    assert not (tmp_path / "de.po").exists()  # never silently rewritten (to 'ÿþ')


def test_skip_bad_leaves_out_the_undecodable_entry_and_counts_it(tmp_path: Path, run: Run) -> None:
    source = tmp_path / "bad.po"
    source.write_bytes(BAD_UTF8)
    status, out, err = run(source, tmp_path / "de.po", "--skip-bad")
    assert status == 0, err
    assert summary(out)["skipped"] == {"not valid in its charset": 1}
    assert summary(out)["translated"] == 2
    written = (tmp_path / "de.po").read_text(encoding="utf-8")
    assert 'msgid "Open"' in written and 'msgid "Save"' in written and "here" not in written
