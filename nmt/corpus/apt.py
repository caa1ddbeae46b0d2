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
import tarfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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


# The archive's Contents indexes (path -> packages), for package discovery. apt adds the `all`
# architecture to a `$(ARCHITECTURE)` target by itself, so this one target fetches both
# Contents-amd64 and Contents-all (where bookworm lists the Architecture: all packages, which is
# nearly every -l10n, -common and -data package). Kept compressed: ~77 MB instead of ~1 GB.
CONTENTS_TARGET: dict[str, str] = {
    f"Acquire::IndexTargets::deb::NmtContents::{key}": value
    for key, value in {
        "MetaKey": "$(COMPONENT)/Contents-$(ARCHITECTURE)",
        "ShortDescription": "Contents-$(ARCHITECTURE)",
        "Description": "$(RELEASE)/$(COMPONENT) $(ARCHITECTURE) Contents (nmt)",
        "KeepCompressed": "true",
        "PDiffs": "false",
    }.items()
}
# How many packages one `apt-get download` fetches: one acquire run pipelines them over one
# connection, where one call per package costs a second or two of start-up each.
DOWNLOAD_BATCH = 100


class AptCache:
    """The builder's apt state under `root` (lists/, cache/, status, debs/)."""

    def __init__(self, root: Path, languages: Sequence[str]) -> None:
        self.root = root
        self.lists = root / "lists"
        self.debs = root / "debs"
        self.languages = list(languages)
        self.downloaded_bytes = 0  # .deb bytes fetched by this object (cache hits excluded)
        self.replaced_pins: dict[str, tuple[str, str]] = {}  # package -> (pinned, taken)
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
            **CONTENTS_TARGET,
        }
        return [arg for key, value in opts.items() for arg in ("-o", f"{key}={value}")]

    def _run(self, args: Sequence[str], cwd: Path | None = None, *, check: bool = True) -> str:
        if shutil.which(args[0]) is None:
            raise AptError(f"{args[0]} not found: building the corpus needs Debian's apt")
        cmd = [args[0], *self._options(), *args[1:]]
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 and check:
            detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
            raise AptError(f"{' '.join(args)} failed: {' | '.join(detail)}")
        return proc.stdout

    def has_lists(self) -> bool:
        """Packages and Contents indexes and a Translation index for every language are present.

        An apt state from before package discovery (no Contents) counts as absent, so the next
        build updates it once.
        """
        langs = ["en", *self.languages]
        return (
            any(self.lists.glob("*_Packages*"))
            and bool(self.contents_files())
            and all(any(self.lists.glob(f"*_i18n_Translation-{lang}*")) for lang in langs)
        )

    def contents_files(self, component: str = "main") -> list[Path]:
        """The Contents indexes of `component` (every suite, amd64 and all), sorted by name."""
        return sorted(self.lists.glob(f"*_{component}_Contents-*"))

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

    def known_records(self, packages: Sequence[str]) -> dict[str, dict[str, str]]:
        """The candidate record of each package the archive knows; unknown ones are absent.

        For discovered packages, where a name in a Contents index without a Packages record
        (a stale mirror, another architecture) is a reason to leave it out, not an error.
        """
        if not packages:
            return {}
        out = self._run(["apt-cache", "show", "--no-all-versions", *packages], check=False)
        found: dict[str, dict[str, str]] = {}
        for block in out.strip().split("\n\n"):
            if block.strip():
                rec = _parse_stanza(block)
                found.setdefault(rec.get("Package", ""), rec)
        return {pkg: found[pkg] for pkg in packages if pkg in found}

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
        if self._cached(rec):
            return DebInfo(package, ver, want_sha, path)
        logger.info("downloading %s %s", package, ver)
        self._run(["apt-get", "download", f"{package}={ver}"], cwd=self.debs)
        self._adopt(rec)
        got = sha256_file(path) if path.exists() else "missing"
        if got != want_sha:
            raise AptError(f"{package} {ver}: sha256 {got} does not match the archive's {want_sha}")
        self.downloaded_bytes += path.stat().st_size
        return DebInfo(package, ver, want_sha, path)

    def download_many(self, records: Mapping[str, dict[str, str]]) -> dict[str, DebInfo]:
        """`download` for many packages, those not yet cached fetched in batches.

        `records` maps each package to the archive's record (see `lookup`). A package whose
        batch failed is retried alone, so the error names it.
        """
        wanted = {pkg: rec for pkg, rec in records.items() if not self._cached(rec)}
        names = sorted(wanted)
        before = self.downloaded_bytes
        for start in range(0, len(names), DOWNLOAD_BATCH):
            batch = names[start : start + DOWNLOAD_BATCH]
            specs = [f"{pkg}={wanted[pkg]['Version']}" for pkg in batch]
            logger.info("downloading %d packages (%d of %d)", len(batch), start, len(names))
            try:
                self._run(["apt-get", "download", *specs], cwd=self.debs)
            except AptError as err:
                logger.warning("batch download failed (%s); retrying one by one", err)
            for pkg in batch:
                self._adopt(wanted[pkg])
                path = self.debs / Path(wanted[pkg]["Filename"]).name
                self.downloaded_bytes += path.stat().st_size if path.exists() else 0
        debs = {pkg: self.download(pkg, rec=rec) for pkg, rec in records.items()}
        logger.info(
            "%d packages, %d downloaded (%.1f MB)",
            len(records),
            len(names),
            (self.downloaded_bytes - before) / 1e6,
        )
        return debs

    def _cached(self, rec: dict[str, str]) -> bool:
        """The .deb of `rec` is in debs/ with the archive's sha256."""
        path = self.debs / Path(rec["Filename"]).name
        return path.exists() and sha256_file(path) == rec["SHA256"]

    def _adopt(self, rec: dict[str, str]) -> None:
        """Give a file that apt-get named after the URL-encoded epoch the pool's name."""
        ver = rec["Version"].replace(":", "%3a")
        fetched = self.debs / f"{rec['Package']}_{ver}_{rec['Architecture']}.deb"
        path = self.debs / Path(rec["Filename"]).name
        if fetched.exists() and fetched != path:
            fetched.replace(path)

    def lookup(
        self,
        packages: Sequence[str],
        pins: Mapping[str, str],
        *,
        allow_current: bool = False,
    ) -> dict[str, dict[str, str]]:
        """The record to download for each package: its candidate, or its pinned version.

        A pinned version that has left the archive is an AptError naming every such package
        (not just the first), unless `allow_current`: then the current version is taken, and
        `self.replaced_pins` records what replaced what.
        """
        found = self.records(packages, all_versions=bool(pins))
        if not pins:
            return {pkg: found[pkg][0] for pkg in packages}
        current = self.records(packages, all_versions=False)
        chosen: dict[str, dict[str, str]] = {}
        gone: dict[str, str] = {}
        for pkg in packages:
            want = pins.get(pkg)
            match = [r for r in found[pkg] if r.get("Version") == want] if want else []
            if want and not match:
                gone[pkg] = want
            chosen[pkg] = match[0] if match else current[pkg][0]
        if gone and not allow_current:
            listed = ", ".join(f"{pkg} {ver}" for pkg, ver in sorted(gone.items())[:30])
            more = f" and {len(gone) - 30} more" if len(gone) > 30 else ""
            raise AptError(
                f"{len(gone)} pinned version(s) recorded in the manifest have left the archive: "
                f"{listed}{more}. Rebuild with --pin-allow-current to take their current "
                "versions (the corpus will differ; the manifest lists them), or without --pin."
            )
        self.replaced_pins = {pkg: (ver, chosen[pkg]["Version"]) for pkg, ver in gone.items()}
        for pkg, (old, new) in sorted(self.replaced_pins.items()):
            logger.warning("%s %s has left the archive; taking %s", pkg, old, new)
        return chosen


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


STAMP = ".nmt-extracted"  # in an extracted folder: the sha256 of the .deb it holds


def _unpack_into(deb: DebInfo, dest_root: Path) -> Path | None:
    """`dest_root/<package>/` emptied for a new extraction, or None when it already holds this
    very .deb (its stamp names the sha256), so a package is extracted once per version."""
    dest = dest_root / deb.package
    stamp = dest / STAMP
    if stamp.exists() and stamp.read_text() == deb.sha256:
        return None
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    return dest


def extract_deb(deb: DebInfo, dest_root: Path) -> Path:
    """`dpkg-deb -x` into `dest_root/<package>/` once per (version, sha); returns that folder."""
    dest = _unpack_into(deb, dest_root)
    if dest is None:
        return dest_root / deb.package
    subprocess.run(["dpkg-deb", "-x", str(deb.path), str(dest)], check=True)
    (dest / STAMP).write_text(deb.sha256)
    return dest


def extract_members(deb: DebInfo, dest_root: Path, wanted: Callable[[str], bool]) -> Path:
    """Only the members of `deb` whose path `wanted` accepts, into `dest_root/<package>/`.

    Paths are given to `wanted` without the leading `./` (`usr/share/locale/de/...`). Regular
    files are written; links and devices are not (a symlinked copyright or catalog is reported
    by its reader as missing, never followed out of the folder). Done once per (package, sha256):
    a stamp file records what the folder holds. Returns that folder.
    """
    dest = _unpack_into(deb, dest_root)
    if dest is None:
        return dest_root / deb.package
    proc = subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    tar_error = ""
    try:
        _copy_members(proc.stdout, dest, wanted)
    except tarfile.TarError as err:
        tar_error = str(err)
    finally:
        proc.stdout.close()
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        code = proc.wait()
    if code != 0 or tar_error:
        detail = stderr.strip()[-300:] or tar_error
        raise AptError(f"cannot read {deb.path.name} (dpkg-deb --fsys-tarfile): {detail}")
    (dest / STAMP).write_text(deb.sha256)
    return dest


def _copy_members(stream: IO[bytes], dest: Path, wanted: Callable[[str], bool]) -> None:
    """Write the regular files of a tar stream that `wanted` accepts under `dest`."""
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            name = member.name.removeprefix("./")
            if not member.isfile() or not wanted(name) or ".." in Path(name).parts:
                continue
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            with target.open("wb") as out:
                shutil.copyfileobj(source, out)
