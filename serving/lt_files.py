"""LibreTranslate's file routes: POST /translate_file (multipart `file`, `source`, `target`,
`api_key`) -> {"translatedFileUrl": ...}, and GET /download_file/<name>.

Translated files are kept under `NMT_FILES_DIR` (default `$NMT_HOME/files`) for
`NMT_FILES_KEEP_S`, then deleted (a sweep on every file request and at startup; an expired file
is never served). A file's name is 32 random URL-safe characters (192 bits) and the original
name's safe part: it cannot be guessed, and a name that is not of that form (a path, `..`) is
refused before the disk is touched. With several replicas the folder must be shared (a
ReadWriteMany volume) or the routes sticky (docs/serving.md).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from nmt.paths import nmt_home
from serving import documents
from serving.batching import BatchKey
from serving.deps import admit, note_work, peer_client, run_batch, services
from serving.errors import ApiError, error_responses
from serving.libretranslate import _fields, _model
from serving.security import presented_key
from serving.settings import Settings

logger = logging.getLogger(__name__)
router = APIRouter(tags=["LibreTranslate"])

_NAME = re.compile(r"^[A-Za-z0-9_-]{32}\.[A-Za-z0-9._ -]{1,120}$")
_TOKEN_CHARS = 24  # bytes of randomness -> 32 URL-safe characters
_MEDIA = {
    ".txt": "text/plain; charset=utf-8",
    ".po": "text/x-gettext-translation; charset=utf-8",
    ".pot": "text/x-gettext-translation; charset=utf-8",
    ".xlf": "application/xliff+xml",
    ".xliff": "application/xliff+xml",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _bad(message: str, status: int = 400) -> ApiError:
    return ApiError(status, "invalid_request", message)


class FileStore:
    """Translated files on disk, each kept `keep_s` seconds."""

    def __init__(self, folder: Path, keep_s: float) -> None:
        self.folder = folder
        self.keep_s = keep_s

    def save(self, data: bytes, original: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9._ -]", "_", PurePath(original).name).strip(" .")
        name = f"{secrets.token_urlsafe(_TOKEN_CHARS)}.{stem[-120:] or 'file'}"
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(data)
        partial.replace(self.folder / name)
        return name

    def find(self, name: str) -> Path | None:
        """The stored file `name`, or None (unknown, expired, or not a name we give)."""
        if not _NAME.match(name) or ".." in name:
            return None
        path = self.folder / name
        try:
            fresh = time.time() - path.stat().st_mtime <= self.keep_s
        except OSError:
            return None
        return path if fresh and path.is_file() else None

    def sweep(self) -> int:
        """Delete the files kept longer than `keep_s`; returns how many."""
        if not self.folder.is_dir():
            return 0
        now, gone = time.time(), 0
        for path in self.folder.iterdir():
            try:
                if path.is_file() and now - path.stat().st_mtime > self.keep_s:
                    path.unlink()
                    gone += 1
            except OSError:  # another replica swept it first
                continue
        if gone:
            logger.info("translated files expired", extra={"fields": {"deleted": gone}})
        return gone


def file_store(settings: Settings) -> FileStore:
    return FileStore(settings.files_dir or nmt_home() / "files", settings.files_keep_s)


def supported_formats(settings: Settings) -> list[str]:
    return list(documents.EXTENSIONS) if settings.files_translation else []


def _store(request: Request) -> FileStore:
    return file_store(services(request).settings)


def _field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value else None


@router.post(
    "/translate_file",
    responses={
        **_fields(translatedFileUrl={"type": "string"}),
        **error_responses([400, 403, 413, 429, 503, 504], libretranslate=True),
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "source", "target"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "source": {"type": "string"},
                            "target": {"type": "string"},
                            "api_key": {"type": "string"},
                        },
                    }
                }
            }
        }
    },
    summary="Translate a file (LibreTranslate-compatible): txt, po, pot, xlf, xliff, html, docx",
)
async def translate_file(request: Request) -> dict[str, str]:
    svc = services(request)
    settings = svc.settings
    if not settings.files_translation:
        raise _bad("Files translation are disabled on this server.", 403)
    store = _store(request)
    await asyncio.to_thread(store.sweep)
    try:
        form = await request.form(max_files=1, max_fields=16)
    except Exception:  # python-multipart's parse errors, too many parts
        raise _bad("Invalid request: malformed form body (multipart/form-data)") from None
    key = form.get("api_key")
    svc.guard.check(
        presented_key(request, key if isinstance(key, str) else None),
        client=peer_client(request),
        libretranslate=True,
    )
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise _bad("Invalid request: missing file parameter")
    source, target = _field(form, "source"), _field(form, "target")
    if source is None:
        raise _bad("Invalid request: missing source parameter")
    if target is None:
        raise _bad("Invalid request: missing target parameter")
    filename = upload.filename or ""
    if not filename:
        raise _bad("Invalid request: empty file")
    extension = PurePath(filename).suffix.lower()
    if extension not in documents.EXTENSIONS:
        raise _bad("Invalid request: file format not supported")
    data = await upload.read(settings.files_max_bytes + 1)
    if len(data) > settings.files_max_bytes:
        raise _bad(f"Invalid request: the file is over {settings.files_max_bytes} bytes", 413)
    if not data:
        raise _bad("Invalid request: empty file")
    try:
        document = await asyncio.to_thread(documents.open_document, extension, data, target)
    except documents.DocumentError as err:
        raise _bad(f"Invalid request: {err}") from None
    texts = document.texts()
    chars = sum(len(t) for t in texts)
    if chars > settings.files_max_chars:
        raise _bad(
            f"Invalid request: the file holds {chars} characters of text; the limit is "
            f"{settings.files_max_chars}",
            413,
        )
    model, _ = _model(request, source, target, texts[:200] or [filename])
    outputs = await _translate(request, model, texts)
    document.apply(outputs)
    translated = await asyncio.to_thread(document.serialize)
    name = await asyncio.to_thread(store.save, translated, filename)
    logger.info(
        "file translated",
        extra={"fields": {"format": extension, "texts": len(texts), "bytes": len(data)}},
    )
    return {"translatedFileUrl": str(request.url_for("download_file", name=name))}


async def _translate(request: Request, model: Any, texts: list[str]) -> list[str]:
    """The translations of `texts` (each distinct text once), in chunks of `max_texts` through
    the model's batcher like any request, within `files_timeout_s`."""
    settings = services(request).settings
    deadline = time.monotonic() + settings.files_timeout_s
    unique = list(dict.fromkeys(texts))
    key = BatchKey(model.decoding, False, False)
    done: dict[str, str] = {}
    for start in range(0, len(unique), settings.max_texts):
        if time.monotonic() > deadline:
            raise ApiError(
                504,
                "deadline_exceeded",
                f"the file took longer than {settings.files_timeout_s:g} s to translate",
            )
        chunk = unique[start : start + settings.max_texts]
        admission = await admit(request, model, chunk, key, libretranslate=True)
        results = await run_batch(request, model, chunk, key, admission, libretranslate=True)
        done.update(zip(chunk, (r.text for r in results), strict=True))
    note_work(request, len(texts))
    return [done[t] for t in texts]


@router.get(
    "/download_file/{name}",
    name="download_file",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        **error_responses([400, 404], libretranslate=True),
    },
    summary="A translated file (LibreTranslate-compatible), kept NMT_FILES_KEEP_S seconds",
)
async def download_file(request: Request, name: str) -> FileResponse:
    settings = services(request).settings
    if not settings.files_translation:
        raise _bad("Files translation are disabled on this server.")
    if not _NAME.match(name) or ".." in name:
        raise _bad("Invalid filename")
    store = _store(request)
    path = await asyncio.to_thread(store.find, name)
    if path is None:
        raise _bad(f"no such file (translated files are kept {settings.files_keep_s:g} s)", 404)
    download = name[33:]
    return FileResponse(
        path,
        media_type=_MEDIA.get(PurePath(download).suffix.lower(), "application/octet-stream"),
        filename=download,
    )
