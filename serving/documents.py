"""Documents for LibreTranslate's `/translate_file`: read a file into texts, put their
translations back, write the file.

Each format is a `Document`: `texts()` the texts to translate (in order, duplicates allowed),
`apply(translations)` the translations of those texts, `serialize()` the translated file.
- .txt: each non-blank line, its indentation and line ending kept.
- .po/.pot and .xlf/.xliff: the catalogs of `nmt translate` (`nmt.files.po`, `nmt.files.xliff`:
  plurals, accelerators, placeholders and inline markup handled as there).
- .html/.htm: the text between block-level tags, inline markup (<b>, <a href>, ...) kept inside
  the text it belongs to (the translator protects tags and entities); <script>, <style> and
  comments untouched.
- .docx (python-docx): every paragraph of the body, tables (nested too), headers and footers;
  a paragraph's translation goes into its first run (its formatting), the other runs emptied.
"""

from __future__ import annotations

import html.parser
import io
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from nmt.translator import Translation

# extension -> reader; the order is what /frontend/settings lists
EXTENSIONS: tuple[str, ...] = (".txt", ".po", ".pot", ".xlf", ".xliff", ".html", ".htm", ".docx")


class DocumentError(ValueError):
    """A file that cannot be read as its extension says (the message tells why)."""


class Document(Protocol):
    def texts(self) -> list[str]: ...

    def apply(self, translations: Sequence[str]) -> None: ...

    def serialize(self) -> bytes: ...


def open_document(extension: str, data: bytes, language: str) -> Document:
    """The document of `data` (a file with `extension`, one of EXTENSIONS), its target
    language `language`. Raises DocumentError for a file that is not what it says."""
    readers: dict[str, Callable[[bytes, str], Document]] = {
        ".txt": TextDocument,
        ".po": _catalog("po"),
        ".pot": _catalog("pot"),
        ".xlf": _catalog("xliff"),
        ".xliff": _catalog("xliff"),
        ".html": HtmlDocument,
        ".htm": HtmlDocument,
        ".docx": DocxDocument,
    }
    if extension not in readers:
        raise DocumentError(f"{extension or 'no extension'} is not a supported file format")
    return readers[extension](data, language)


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DocumentError(f"not a UTF-8 {what} file (byte {err.start})") from None


# --- plain text ------------------------------------------------------------------------------
_LINE = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)


class TextDocument:
    def __init__(self, data: bytes, language: str) -> None:
        self.lines = _utf8(data, "text").splitlines(keepends=True)
        self.slots = [i for i, line in enumerate(self.lines) if line.strip()]

    def texts(self) -> list[str]:
        return [self.lines[i].strip() for i in self.slots]

    def apply(self, translations: Sequence[str]) -> None:
        for i, text in zip(self.slots, translations, strict=True):
            found = _LINE.match(self.lines[i])
            assert found is not None  # the pattern matches any string
            self.lines[i] = found.group(1) + text + found.group(3)

    def serialize(self) -> bytes:
        return "".join(self.lines).encode("utf-8")


# --- catalogs: nmt translate's own readers -------------------------------------------------
class CatalogDocument:
    """A .po/.pot/.xliff catalog through `nmt.files` (translate-toolkit), from a temporary
    copy of the upload (its readers take a path)."""

    def __init__(self, data: bytes, language: str, fmt: str) -> None:
        from nmt.files.errors import FileInputError

        suffix = {"po": ".po", "pot": ".pot", "xliff": ".xlf"}[fmt]
        with tempfile.TemporaryDirectory(prefix="nmt-upload-") as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                if fmt == "xliff":
                    from nmt.files.xliff import XliffCatalog

                    self.catalog: Any = XliffCatalog(path, language=language, overwrite=False)
                else:
                    from nmt.files.po import PoCatalog

                    self.catalog = PoCatalog(path, language=language, overwrite=False, fmt=fmt)
            except FileInputError as err:
                # its text names the temporary path: keep the message and the line
                line = f"line {err.line}: " if err.line is not None else ""
                raise DocumentError(f"{line}{err.message}") from None
        self.order = self.catalog.texts()

    def texts(self) -> list[str]:
        return list(self.order)

    def apply(self, translations: Sequence[str]) -> None:
        results = {
            text: Translation(text=out, score=0.0)
            for text, out in zip(self.order, translations, strict=True)
        }
        self.catalog.apply(results, {})

    def serialize(self) -> bytes:
        data: bytes = self.catalog.serialize()
        return data


def _catalog(fmt: str) -> Callable[[bytes, str], Document]:
    return lambda data, language: CatalogDocument(data, language, fmt)


# --- HTML ----------------------------------------------------------------------------------
_INLINE = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "dfn", "em", "i", "kbd",
        "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
        "wbr", "img",
    }
)  # fmt: skip
_RAW = frozenset({"script", "style", "textarea", "pre"})


class _Tokens(html.parser.HTMLParser):
    """The document as ("tag" | "text" | "raw", source text) tokens, nothing lost."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple[str, str, str]] = []  # (kind, tag name, source)
        self.raw_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", tag, self.get_starttag_text() or ""))
        if tag in _RAW:
            self.raw_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", tag, self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag, f"</{tag}>"))
        if tag in _RAW and self.raw_depth:
            self.raw_depth -= 1

    def handle_data(self, data: str) -> None:
        self.tokens.append(("raw" if self.raw_depth else "text", "", data))

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.tokens.append(("raw", "", f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.tokens.append(("raw", "", f"<!{decl}>"))

    def handle_pi(self, data: str) -> None:
        self.tokens.append(("raw", "", f"<?{data}>"))

    def unknown_decl(self, data: str) -> None:
        self.tokens.append(("raw", "", f"<![{data}]>"))


class HtmlDocument:
    """Runs of text and inline tags between block-level tags are the texts; everything else
    is written back as it came."""

    def __init__(self, data: bytes, language: str) -> None:
        parser = _Tokens()
        parser.feed(_utf8(data, "HTML"))
        parser.close()
        # pieces: strings as they are, or indexes into self.runs (a run to translate)
        self.pieces: list[str | int] = []
        self.runs: list[tuple[str, str, str]] = []  # (leading space, text, trailing space)
        run: list[str] = []

        def flush() -> None:
            joined = "".join(run)
            run.clear()
            if not joined.strip() or not re.search(r"[^\W\d_]", _strip_tags(joined)):
                if joined:
                    self.pieces.append(joined)
                return
            found = _LINE.match(joined)
            assert found is not None
            self.pieces.append(len(self.runs))
            self.runs.append((found.group(1), found.group(2), found.group(3)))

        for kind, name, source in parser.tokens:
            inline = kind in ("start", "end") and name in _INLINE
            if kind == "text" or inline:
                run.append(source)
            else:
                flush()
                self.pieces.append(source)
        flush()
        self.out = [r[1] for r in self.runs]

    def texts(self) -> list[str]:
        return [r[1] for r in self.runs]

    def apply(self, translations: Sequence[str]) -> None:
        self.out = list(translations)

    def serialize(self) -> bytes:
        parts = []
        for piece in self.pieces:
            if isinstance(piece, int):
                lead, _, trail = self.runs[piece]
                parts.append(lead + self.out[piece] + trail)
            else:
                parts.append(piece)
        return "".join(parts).encode("utf-8")


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]*>|&[#\w]+;", " ", text)


# --- .docx -----------------------------------------------------------------------------------
class DocxDocument:
    def __init__(self, data: bytes, language: str) -> None:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        try:
            self.document = docx.Document(io.BytesIO(data))
        except PackageNotFoundError:
            raise DocumentError("not a .docx document (not a Word package)") from None
        except Exception as err:  # a zip or XML that python-docx cannot read
            raise DocumentError(f"not a .docx document ({type(err).__name__})") from None
        self.paragraphs = [p for p in self._paragraphs() if p.text.strip()]

    def _paragraphs(self) -> list[Any]:
        found: list[Any] = []

        def walk(container: Any) -> None:
            found.extend(container.paragraphs)
            for table in getattr(container, "tables", []):
                for row in table.rows:
                    for cell in row.cells:
                        walk(cell)

        walk(self.document)
        for section in self.document.sections:
            for part in (section.header, section.footer):
                if not part.is_linked_to_previous:
                    walk(part)
        unique: dict[int, Any] = {}
        for paragraph in found:  # merged table cells repeat the same paragraph
            unique.setdefault(id(paragraph._p), paragraph)
        return list(unique.values())

    def texts(self) -> list[str]:
        return [p.text.strip() for p in self.paragraphs]

    def apply(self, translations: Sequence[str]) -> None:
        for paragraph, text in zip(self.paragraphs, translations, strict=True):
            runs = [r for r in paragraph.runs if r.text]
            if not runs:  # text only in hyperlinks or fields: replace the paragraph's text
                paragraph.text = text
                continue
            runs[0].text = text
            for run in runs[1:]:
                run.text = ""

    def serialize(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()
