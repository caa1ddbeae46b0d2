"""A package's licence, from its machine-readable `debian/copyright` (DEP-5) where it has one.

The copyright file is `usr/share/doc/<package>/copyright` in the .deb. Its first paragraph names
the format (`Format: .../copyright-format/1.0/`); the licence reported is the short name of the
`Files: *` paragraph's `License:` field (the package's own files), else the first `Files`
paragraph's. A file that is missing, a symlink to another package's folder, or free-form text
gives "see package": the licence is then only in the package, stated in prose.
"""

from __future__ import annotations

from pathlib import Path

SEE_PACKAGE = "see package"


def _paragraphs(text: str) -> list[dict[str, str]]:
    """deb822 paragraphs: field name (lower case) -> first line of its value."""
    paragraphs: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                paragraphs.append(current)
                current = {}
        elif not line[0].isspace() and ":" in line:
            key, _, value = line.partition(":")
            current[key.strip().lower()] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def dep5_licence(text: str) -> str:
    """The licence short name of a DEP-5 copyright text, or `SEE_PACKAGE` when not DEP-5."""
    paragraphs = _paragraphs(text)
    if not paragraphs or "copyright-format" not in paragraphs[0].get("format", ""):
        return SEE_PACKAGE
    files = [p for p in paragraphs[1:] if "files" in p and p.get("license")]
    main = next((p for p in files if p["files"].split() == ["*"]), files[0] if files else None)
    return main["license"] if main else SEE_PACKAGE


def package_licence(tree: Path, package: str) -> str:
    """The licence of `package` extracted into `tree` (see the module doc)."""
    path = tree / "usr/share/doc" / package / "copyright"
    if not path.is_file() or path.is_symlink():
        return SEE_PACKAGE
    try:
        return dep5_licence(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return SEE_PACKAGE
