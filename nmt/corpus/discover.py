"""Which packages the broad recipe reads, found in the archive's own Contents indexes.

Every `main` package that ships `usr/share/locale/<lang>/LC_MESSAGES/*.mo` gives gettext catalogs
(one text domain per `.mo` name), and every package that ships GNOME help in both English and
`<lang>` (`usr/share/help/C/<doc>/` beside `usr/share/help/<lang>/<doc>/`) gives help documents.
Selection is deterministic, in this order:

1. caps: a package larger than `max_package_mb` (game data, a browser engine) is left out;
2. one provider per text domain: packages that ship the same domain (`sudo` and `sudo-ldap`)
   count once, the shortest package name winning (then the name); a package left with no
   domain of its own is left out (help is not deduplicated by document: see `select`);
3. the download budget: packages are taken smallest first until `download_budget_mb`.

Everything left out is returned with its reason, for the manifest.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nmt.config import DiscoveryConfig

logger = logging.getLogger(__name__)

APT_HELPER = "/usr/lib/apt/apt-helper"
_MB = 1_000_000


@dataclass(slots=True)
class Found:
    """What the Contents indexes say: package -> text domains, package -> help documents."""

    catalogs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    help_docs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass(frozen=True, slots=True)
class Selection:
    """The packages to download and what each contributes (sorted), and those left out.

    `catalogs[pkg]` are the text domains read from `pkg`, `help_docs[pkg]` its help documents;
    `left_out[pkg]` says why a discovered package is not read.
    """

    catalogs: dict[str, tuple[str, ...]]
    help_docs: dict[str, tuple[str, ...]]
    left_out: dict[str, str]

    @property
    def packages(self) -> list[str]:
        return sorted({*self.catalogs, *self.help_docs})


def contents_lines(files: Sequence[Path]) -> Iterator[bytes]:
    """The lines of the (compressed) Contents files, decompressed by apt itself as a stream.

    apt keeps the indexes compressed with whatever the archive or its settings chose (lz4, gz,
    xz); `apt-helper cat-file` reads them all, so no format is assumed here.
    """
    for path in files:
        with subprocess.Popen(
            [APT_HELPER, "cat-file", str(path)],
            stdout=subprocess.PIPE,
        ) as proc:
            assert proc.stdout is not None
            yield from proc.stdout
        if proc.returncode != 0:
            raise OSError(f"apt-helper cat-file {path.name} exited {proc.returncode}")


def scan_contents(lines: Iterable[bytes], lang: str) -> Found:
    """Collect catalogs and help documents of `lang` from Contents lines (bytes: only the few
    lines that match are decoded, which makes the ~1 GB scan several times faster).

    A line is `PATH<spaces>SECTION/PACKAGE[,SECTION/PACKAGE...]`; the path may hold spaces,
    the package list never does.
    """
    prefixes = (b"usr/share/locale/", b"usr/share/help/")
    mo = re.compile(rf"usr/share/locale/{re.escape(lang)}/LC_MESSAGES/([^/]+)\.mo")
    helps = re.compile(rf"usr/share/help/(C|{re.escape(lang)})/([^/]+)/")
    found = Found()
    english: dict[str, set[str]] = defaultdict(set)
    translated: dict[str, set[str]] = defaultdict(set)
    for raw in lines:
        if not raw.startswith(prefixes):
            continue
        line = raw.decode("utf-8", errors="replace")
        fields = line.rsplit(maxsplit=1)
        if len(fields) != 2:
            continue
        path, owners = fields
        packages = [owner.rsplit("/", 1)[-1] for owner in owners.split(",") if owner]
        if m := mo.fullmatch(path):
            for pkg in packages:
                found.catalogs[pkg].add(m.group(1))
        elif m := helps.match(path):
            side = english if m.group(1) == "C" else translated
            for pkg in packages:
                side[pkg].add(m.group(2))
    for pkg, docs in translated.items():
        if both := docs & english.get(pkg, set()):
            found.help_docs[pkg] = both
    return found


def _provider_order(pkg: str) -> tuple[int, str]:
    return len(pkg), pkg


def _one_provider(
    offered: Mapping[str, set[str]], taken: set[str], left_out: dict[str, str], kind: str
) -> dict[str, tuple[str, ...]]:
    """Each item (domain, document) from one package; packages left with none are left out."""
    owner: dict[str, str] = {}
    for pkg in sorted(offered, key=_provider_order):
        for item in offered[pkg]:
            owner.setdefault(item, pkg)
    chosen: dict[str, tuple[str, ...]] = {}
    for pkg in sorted(offered):
        own = tuple(sorted(item for item in offered[pkg] if owner[item] == pkg))
        if own:
            chosen[pkg] = own
            taken.add(pkg)
        elif pkg not in taken and pkg not in left_out:
            others = sorted({owner[item] for item in offered[pkg]})
            left_out[pkg] = f"same-{kind}-as:{','.join(others)}"
    return chosen


def select(
    found: Found,
    sizes: Mapping[str, int],
    cfg: DiscoveryConfig,
    *,
    exclude: Iterable[str] = (),
) -> Selection:
    """Apply the caps, one provider per domain/document, and the budget (see the module doc).

    `sizes` are the archive's .deb sizes in bytes; a discovered package the Packages index does
    not know is left out (`not-in-packages-index`). `exclude` names packages another source of
    the recipe reads (a test-only one, say), which discovery must not take.
    """
    excluded = set(exclude)
    left_out: dict[str, str] = {}
    cap = cfg.max_package_mb * _MB

    def allowed(pkg: str) -> bool:
        if pkg in excluded:
            left_out.setdefault(pkg, "read-by-another-source")
        elif pkg not in sizes:
            left_out.setdefault(pkg, "not-in-packages-index")
        elif sizes[pkg] > cap:
            left_out.setdefault(pkg, f"over-size-cap:{sizes[pkg] / _MB:.1f}MB")
        else:
            return True
        return False

    taken: set[str] = set()
    catalogs = _one_provider(
        {p: d for p, d in found.catalogs.items() if allowed(p)}, taken, left_out, "domains"
    )
    # Help is not deduplicated by document: plugins add their own pages to their host's
    # document (gedit's 15 plugins each ship a page of `gedit`); the pair dedupe removes copies.
    help_docs = {p: tuple(sorted(d)) for p, d in found.help_docs.items() if allowed(p)}
    taken.update(help_docs)
    for pkg in taken:
        left_out.pop(pkg, None)  # left out as a catalog duplicate, but has help of its own
    budget, spent = cfg.download_budget_mb * _MB, 0
    for pkg in sorted(taken, key=lambda p: (sizes[p], p)):
        if spent + sizes[pkg] > budget:
            left_out[pkg] = "over-download-budget"
            catalogs.pop(pkg, None)
            help_docs.pop(pkg, None)
        else:
            spent += sizes[pkg]
    logger.info(
        "discovery: %d catalog packages, %d help packages, %.0f MB; %d left out",
        len(catalogs),
        len(help_docs),
        spent / _MB,
        len(left_out),
    )
    return Selection(catalogs, help_docs, dict(sorted(left_out.items())))
