"""LibreTranslate's /translate_file and /download_file: one real file of each format there and
back, what a bad file gets, limits, expiry and names that cannot be guessed or traversed."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.serving.conftest import AppFactory
from tests.serving.test_libretranslate import lt_error, v1_text

PO = b"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

#: src/main.c:10
msgid "Open the file menu."
msgstr ""

msgid "Save the document."
msgstr "Dokument speichern."
"""

XLIFF = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="app" source-language="en" datatype="plaintext">
    <body>
      <trans-unit id="a"><source>Open the file menu.</source></trans-unit>
      <trans-unit id="b"><source>Save the document.</source></trans-unit>
    </body>
  </file>
</xliff>
"""

HTML = b"""<!DOCTYPE html>
<html><head><title>Help</title><style>p { color: red; }</style></head>
<body>
  <h1>Open the file menu.</h1>
  <p>Save the <b>document</b> now.</p>
  <script>var text = "Do not translate";</script>
  <!-- a comment -->
</body></html>
"""


@pytest.fixture
def files_client(make_app: AppFactory, tmp_path: Path) -> Any:
    with TestClient(make_app(files_dir=tmp_path / "files")) as c:
        yield c


def send(client: TestClient, name: str, data: bytes, **fields: str) -> httpx.Response:
    form = {"source": "en", "target": "de", **fields}
    return client.post("/translate_file", data=form, files={"file": (name, data)})


def round_trip(client: TestClient, name: str, data: bytes) -> bytes:
    answer = send(client, name, data)
    assert answer.status_code == 200, answer.text
    url = answer.json()["translatedFileUrl"]
    assert url.startswith("http://testserver/download_file/") and url.endswith(name)
    download = client.get(url)
    assert download.status_code == 200
    assert f'filename="{name}"' in download.headers["content-disposition"]
    return download.content


def test_text_file_round_trip(files_client: TestClient) -> None:
    data = b"Open the file menu.\n\n  Save the document.\r\n"
    out = round_trip(files_client, "notes.txt", data).decode()
    first, second = (
        v1_text(files_client, "Open the file menu."),
        v1_text(files_client, "Save the document."),
    )
    assert out == f"{first}\n\n  {second}\r\n"  # blank lines, indentation, endings kept


def test_po_round_trip_keeps_existing_translations(files_client: TestClient) -> None:
    from translate.storage import pypo

    raw = round_trip(files_client, "app.po", PO)
    out = raw.decode()
    # Parsed, not matched as text: a long msgstr is wrapped over several lines.
    targets = {unit.source: unit.target for unit in pypo.pofile(raw).units if unit.source}
    assert targets["Open the file menu."] == v1_text(files_client, "Open the file menu.")
    assert targets["Save the document."] == "Dokument speichern."  # already translated: kept
    assert "#: src/main.c:10" in out and "Language: de" in out
    assert round_trip(files_client, "app.pot", PO).count(b"msgstr") >= 3


def test_xliff_round_trip(files_client: TestClient) -> None:
    out = round_trip(files_client, "app.xlf", XLIFF).decode()
    assert out.count("<target") == 2 and 'target-language="de"' in out
    assert escape(v1_text(files_client, "Save the document.")) in out
    assert round_trip(files_client, "app.xliff", XLIFF).count(b"<target") == 2


def test_html_round_trip_translates_text_and_keeps_code(files_client: TestClient) -> None:
    out = round_trip(files_client, "help.html", HTML).decode()
    assert f"<h1>{v1_text(files_client, 'Open the file menu.')}</h1>" in out
    assert 'var text = "Do not translate";' in out and "<!-- a comment -->" in out
    assert "p { color: red; }" in out and out.startswith("<!DOCTYPE html>")
    assert "<b>" in out and "</b>" in out  # the inline tag stays inside its sentence
    assert "Save the <b>document</b> now." not in out


def test_docx_round_trip(files_client: TestClient) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("Open the file menu.", level=1)
    paragraph = document.add_paragraph("Save the ")
    paragraph.add_run("document").bold = True
    table = document.add_table(rows=1, cols=1)
    table.rows[0].cells[0].text = "Open the file menu."
    buffer = io.BytesIO()
    document.save(buffer)
    out = docx.Document(io.BytesIO(round_trip(files_client, "guide.docx", buffer.getvalue())))
    want = v1_text(files_client, "Open the file menu.")
    assert out.paragraphs[0].text == want
    assert out.paragraphs[1].text == v1_text(files_client, "Save the document")
    assert out.tables[0].rows[0].cells[0].text == want


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("a.pdf", b"%PDF-1.4", 400, "file format not supported"),
        ("noext", b"text", 400, "file format not supported"),
        ("a.txt", b"", 400, "empty file"),
        ("a.txt", b"\xff\xfe\xfa bad", 400, "not a UTF-8 text file"),
        ("a.po", b'msgid "unterminated\n', 400, "Invalid request:"),
        ("a.xlf", b"<xliff><unclosed>", 400, "Invalid request:"),
        ("a.docx", b"PK\x03\x04 not really a zip", 400, "not a .docx document"),
    ],
)
def test_a_bad_file_gets_a_400_naming_the_problem(
    files_client: TestClient, name: str, data: bytes, status: int, words: str
) -> None:
    message = lt_error(send(files_client, name, data), status)
    assert words in message
    assert "/tmp" not in message and "nmt-upload" not in message  # no server path


def test_missing_fields_pairs_and_limits(make_app: AppFactory, tmp_path: Path) -> None:
    with TestClient(make_app(files_dir=tmp_path, files_max_bytes=64, files_max_chars=20)) as c:
        assert "missing file" in lt_error(c.post("/translate_file", data={"source": "en"}), 400)
        no_target = c.post(
            "/translate_file", data={"source": "en"}, files={"file": ("a.txt", b"Hi")}
        )
        assert "missing target" in lt_error(no_target, 400)
        assert lt_error(send(c, "a.txt", b"Hello", target="zz"), 400) == "zz is not supported"
        assert "64 bytes" in lt_error(send(c, "a.txt", b"x" * 65), 413)
        assert "limit is 20" in lt_error(send(c, "a.txt", b"Open the file menu now."), 413)
    with TestClient(make_app(files_translation=False)) as c:
        assert "disabled" in lt_error(send(c, "a.txt", b"Hello"), 403)
        assert c.get("/frontend/settings").json()["supportedFilesFormat"] == []


def test_keys_are_checked_from_the_form(make_app: AppFactory, tmp_path: Path) -> None:
    with TestClient(make_app(files_dir=tmp_path, api_keys="k1")) as c:
        assert "API key" in lt_error(send(c, "a.txt", b"Hello"), 400)
        assert lt_error(send(c, "a.txt", b"Hello", api_key="bad"), 403) == "Invalid API key"
        assert send(c, "a.txt", b"Hello", api_key="k1").status_code == 200


def test_names_cannot_be_guessed_or_traversed_and_files_expire(
    make_app: AppFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    with TestClient(make_app(files_dir=folder, files_keep_s=60)) as c:
        url = send(c, "../../etc/passwd.txt", b"Hello").json()["translatedFileUrl"]
        name = url.rsplit("/", 1)[1]
        assert len(name.split(".", 1)[0]) == 32 and "/" not in name and ".." not in name
        assert [p.name for p in folder.iterdir()] == [name]
        for bad in ("..%2F..%2Fetc%2Fpasswd", "x" * 32 + ".a", "%2e%2e", "a.txt"):
            answer = c.get(f"/download_file/{bad}")
            assert answer.status_code in (400, 404), bad
            assert set(answer.json()) == {"error"}
        assert c.get(url).status_code == 200
        old = time.time() - 120
        os.utime(folder / name, (old, old))
        assert "kept 60 s" in lt_error(c.get(url), 404)  # expired: never served
        send(c, "b.txt", b"Hello")  # a file request sweeps the expired ones
        assert name not in [p.name for p in folder.iterdir()]


def test_auto_source_detects_from_the_file(files_client: TestClient) -> None:
    german = "Öffnen Sie die Datei im Menü und speichern Sie das Dokument.\n".encode()
    assert "German (de) was detected" in lt_error(
        send(files_client, "a.txt", german, source="auto"), 400
    )
    assert send(files_client, "a.txt", b"Open the file menu.", source="auto").status_code == 200
