"""Debian packages through apt with the builder's own state, so the host cannot change the corpus.

The host's apt sources and `Acquire` settings are used as they are (they are what reaches the
archive), but `Dir::State::Lists`, `Dir::Cache`, `Dir::State::status` (an empty file) and
`Acquire::Languages` are the builder's own: installed packages and the host's lists never leak in.
A .deb already in the cache with the archive's sha256 is not downloaded again.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nmt.errors import NmtError
from nmt.hashing import sha256_file

logger = logging.getLogger(__name__)


class AptError(NmtError, RuntimeError):
    """apt could not give us a package (missing, version gone, archive unreachable)."""


@dataclass(frozen=True, slots=True)
class DebInfo:
    """One downloaded package: what the manifest records about it."""

    package: str
    version: str
    sha256: str
    path: Path


class AptCache:
    """The builder's apt state under `root` (lists/, cache/, status, debs/)."""

    def __init__(self, root: Path, languages: Sequence[str]) -> None:
        self.root = root
        self.lists = root / "lists"
        self.debs = root / "debs"
        self.languages = list(languages)
        for folder in (self.lists / "partial", root / "cache" / "archives" / "partial", self.debs):
            folder.mkdir(parents=True, exist_ok=True)
        (root / "status").touch()

    def _options(self) -> list[str]:
        opts = {
            "Dir::State::Lists": str(self.lists),
            "Dir::Cache": str(self.root / "cache"),
            "Dir::State::status": str(self.root / "status"),
            "Acquire::Languages": ",".join(["en", *self.languages]),
            # Our own folders: no lock on the host's apt, and no drop to the _apt user, who
            # cannot write into a folder under the caller's home.
            "Debug::NoLocking": "1",
            "APT::Sandbox::User": "root",
        }
        return [arg for key, value in opts.items() for arg in ("-o", f"{key}={value}")]

    def _run(self, args: Sequence[str], cwd: Path | None = None) -> str:
        if shutil.which(args[0]) is None:
            raise AptError(f"{args[0]} not found: building the corpus needs Debian's apt")
        cmd = [args[0], *self._options(), *args[1:]]
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
            raise AptError(f"{' '.join(args)} failed: {' | '.join(detail)}")
        return proc.stdout

    def has_lists(self) -> bool:
        """Packages indexes and a Translation index for every language are present."""
        langs = ["en", *self.languages]
        return any(self.lists.glob("*_Packages*")) and all(
            any(self.lists.glob(f"*_i18n_Translation-{lang}*")) for lang in langs
        )

    def update(self, *, force: bool = False) -> None:
        """Fetch the index files (Packages, Translation-*) unless we have them already."""
        if self.has_lists() and not force:
            logger.info("apt lists present in %s; not updating (use --refresh)", self.lists)
            return
        logger.info("apt-get update into %s", self.lists)
        self._run(["apt-get", "update"])

    def records(
        self, packages: Sequence[str], *, all_versions: bool
    ) -> dict[str, list[dict[str, str]]]:
        """The archive's records of `packages` in one apt-cache call: package -> stanzas.

        Without `all_versions` each package has one record, its candidate. Raises AptError
        naming the packages the archive does not have.
        """
        flags = [] if all_versions else ["--no-all-versions"]
        try:
            out = self._run(["apt-cache", "show", *flags, *packages])
        except AptError as err:
            raise AptError(
                f"not every package of {list(packages)} is in the archive ({err})"
            ) from None
        found: dict[str, list[dict[str, str]]] = {}
        for block in out.strip().split("\n\n"):
            if block.strip():
                rec = _parse_stanza(block)
                found.setdefault(rec.get("Package", ""), []).append(rec)
        missing = [p for p in packages if p not in found]
        if missing:
            raise AptError(f"package(s) {missing} are not in the archive")
        return found

    def candidate(self, package: str, version: str | None = None) -> dict[str, str]:
        """The archive's record of `package`: its candidate, or `version` when pinned.

        Raises AptError naming the package, and when `version` has left the archive, the
        versions the archive offers instead.
        """
        records = self.records([package], all_versions=version is not None)[package]
        return pick_version(package, records, version)

    def download(
        self, package: str, version: str | None = None, rec: dict[str, str] | None = None
    ) -> DebInfo:
        """The .deb of `package` in debs/, downloaded only if not already there and intact.

        `rec` is the archive's record when the caller looked it up already (see `records`).
        """
        rec = rec or self.candidate(package, version)
        ver, want_sha = rec["Version"], rec["SHA256"]
        path = self.debs / Path(rec["Filename"]).name
        if path.exists() and sha256_file(path) == want_sha:
            return DebInfo(package, ver, want_sha, path)
        logger.info("downloading %s %s", package, ver)
        self._run(["apt-get", "download", f"{package}={ver}"], cwd=self.debs)
        # apt-get names the file after the version with its epoch URL-encoded ("4%3a7.4"),
        # the pool does not ("7.4"); keep the pool's name so the cache check above finds it.
        fetched = self.debs / f"{package}_{ver.replace(':', '%3a')}_{rec['Architecture']}.deb"
        if fetched.exists() and fetched != path:
            fetched.replace(path)
        got = sha256_file(path) if path.exists() else "missing"
        if got != want_sha:
            raise AptError(f"{package} {ver}: sha256 {got} does not match the archive's {want_sha}")
        return DebInfo(package, ver, want_sha, path)

    def lookup(self, packages: Sequence[str], pins: Mapping[str, str]) -> dict[str, dict[str, str]]:
        """The record to download for each package: its candidate, or its pinned version."""
        found = self.records(packages, all_versions=bool(pins))
        if not pins:
            return {pkg: found[pkg][0] for pkg in packages}
        current = self.records(packages, all_versions=False)
        return {
            pkg: pick_version(pkg, found[pkg], pins[pkg]) if pkg in pins else current[pkg][0]
            for pkg in packages
        }


def pick_version(
    package: str, records: list[dict[str, str]], version: str | None
) -> dict[str, str]:
    """The record of `version` (or the first, the candidate); a version gone is named clearly."""
    if version is None:
        return records[0]
    for rec in records:
        if rec.get("Version") == version:
            return rec
    offered = ", ".join(sorted({r.get("Version", "?") for r in records}))
    raise AptError(
        f"{package} {version} (recorded in the manifest) has left the archive; it offers "
        f"{offered}. Rebuild without --pin to take the current version "
        "(the corpus will differ)."
    )


def _parse_stanza(block: str) -> dict[str, str]:
    """Top-level `Key: value` fields of one deb822 stanza (continuation lines ignored)."""
    fields: dict[str, str] = {}
    for line in block.splitlines():
        if line and not line[0].isspace() and ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def extract_deb(deb: DebInfo, dest_root: Path) -> Path:
    """`dpkg-deb -x` into `dest_root/<package>/` once per (version, sha); returns that folder."""
    dest = dest_root / deb.package
    stamp = dest / ".nmt-extracted"
    if stamp.exists() and stamp.read_text() == deb.sha256:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(deb.path), str(dest)], check=True)
    stamp.write_text(deb.sha256)
    return dest
