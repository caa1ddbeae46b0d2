"""Which format a file is in: from `--format`, else from its extension."""

from __future__ import annotations

from pathlib import Path

from nmt.files.errors import FileInputError

LINE_FORMATS: tuple[str, ...] = ("txt", "tsv", "jsonl")
CATALOG_FORMATS: tuple[str, ...] = ("po", "pot", "xliff")
FORMATS: tuple[str, ...] = (*LINE_FORMATS, *CATALOG_FORMATS)

_EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".po": "po",
    ".pot": "pot",
    ".xlf": "xliff",
    ".xliff": "xliff",
}


def detect_file_format(path: Path, override: str | None = None) -> str:
    """`override` when given (one of `FORMATS`), else the format of `path`'s extension.

    Raises FileInputError for an unknown extension, naming the choices.
    """
    if override is not None:
        if override not in FORMATS:
            raise FileInputError(path, f"unknown format {override!r} (one of {', '.join(FORMATS)})")
        return override
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        known = ", ".join(sorted(_EXTENSIONS))
        raise FileInputError(
            path, f"cannot tell the format from the extension (known: {known}); use --format"
        )
    return found
