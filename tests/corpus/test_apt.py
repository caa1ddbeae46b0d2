"""The apt layer offline: stanza parsing, cached downloads, version pins, .deb extraction."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from nmt.corpus.apt import (
    AptCache,
    AptError,
    DebInfo,
    _parse_stanza,
    extract_deb,
    extract_members,
)
from nmt.hashing import sha256_file

SHOW = """Package: demo
Version: 1:1.2-1
Architecture: all
Filename: pool/main/d/demo/demo_1.2-1_all.deb
SHA256: {sha}
Description: a demo
 long text: with a colon
"""


class FakeApt(AptCache):
    """apt-cache show answers from a table; apt-get download copies a prepared file."""

    def __init__(self, root: Path, deb: Path) -> None:
        super().__init__(root, ["de"])
        self.deb = deb
        self.calls: list[str] = []

    def _run(self, args: Sequence[str], cwd: Path | None = None, *, check: bool = True) -> str:
        self.calls.append(" ".join(args))
        if args[0] == "apt-cache":
            return SHOW.format(sha=sha256_file(self.deb))
        assert cwd is not None
        shutil.copy(self.deb, cwd / "demo_1%3a1.2-1_all.deb")  # as apt-get names it
        return ""


def test_parse_stanza_ignores_continuation_lines() -> None:
    fields = _parse_stanza(SHOW.format(sha="x"))
    assert fields["Version"] == "1:1.2-1" and fields["SHA256"] == "x"
    assert "long text" not in fields


def test_second_download_is_served_from_cache(tmp_path: Path) -> None:
    deb = tmp_path / "src.deb"
    deb.write_bytes(b"not really a deb")
    apt = FakeApt(tmp_path / "apt", deb)
    first = apt.download("demo")
    second = apt.download("demo")
    assert first == second and first.version == "1:1.2-1"
    assert sum(c.startswith("apt-get download") for c in apt.calls) == 1
    assert (tmp_path / "apt" / "status").read_text() == ""  # empty dpkg status


def test_a_pinned_version_that_left_the_archive_is_named(tmp_path: Path) -> None:
    deb = tmp_path / "src.deb"
    deb.write_bytes(b"x")
    apt = FakeApt(tmp_path / "apt", deb)
    with pytest.raises(AptError, match=r"demo 1\.0-1 .*has left the archive; it offers 1:1\.2-1"):
        apt.download("demo", "1.0-1")


def test_options_use_own_state_dirs(tmp_path: Path) -> None:
    apt = AptCache(tmp_path, ["de"])
    opts = " ".join(apt._options())
    assert f"Dir::State::Lists={tmp_path}/lists" in opts
    assert f"Dir::State::status={tmp_path}/status" in opts
    assert "Acquire::Languages=en,de" in opts


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")
def test_extract_deb_once(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "DEBIAN" / "control").write_text(
        "Package: demo\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: d\n"
    )
    (pkg / "usr" / "share").mkdir(parents=True)
    (pkg / "usr" / "share" / "hello.txt").write_text("hi")
    deb_path = tmp_path / "demo.deb"
    subprocess.run(["dpkg-deb", "-b", str(pkg), str(deb_path)], check=True, capture_output=True)
    info = DebInfo("demo", "1", sha256_file(deb_path), deb_path)
    tree = extract_deb(info, tmp_path / "x")
    assert (tree / "usr" / "share" / "hello.txt").read_text() == "hi"
    (tree / "usr" / "share" / "marker").write_text("kept")  # a second call does not re-extract
    assert extract_deb(info, tmp_path / "x") == tree and (tree / "usr/share/marker").exists()


def _build_deb(tmp_path: Path, files: dict[str, str]) -> DebInfo:
    pkg = tmp_path / "pkg"
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "DEBIAN" / "control").write_text(
        "Package: demo\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: d\n"
    )
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    deb_path = tmp_path / "demo.deb"
    subprocess.run(["dpkg-deb", "-b", str(pkg), str(deb_path)], check=True, capture_output=True)
    return DebInfo("demo", "1", sha256_file(deb_path), deb_path)


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")
def test_extract_members_takes_only_what_is_wanted(tmp_path: Path) -> None:
    info = _build_deb(
        tmp_path,
        {
            "usr/share/locale/de/LC_MESSAGES/demo.mo": "catalog",
            "usr/share/locale/fr/LC_MESSAGES/demo.mo": "other language",
            "usr/share/games/demo/level.dat": "big data",
        },
    )
    tree = extract_members(info, tmp_path / "x", lambda name: "/de/" in name)
    assert (tree / "usr/share/locale/de/LC_MESSAGES/demo.mo").read_text() == "catalog"
    assert not (tree / "usr/share/locale/fr").exists()
    assert not (tree / "usr/share/games").exists()
    (tree / "marker").write_text("kept")  # a second call does not re-extract
    assert extract_members(info, tmp_path / "x", lambda name: True) == tree
    assert (tree / "marker").exists() and not (tree / "usr/share/games").exists()


def test_extract_members_of_a_broken_deb_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.deb"
    bad.write_bytes(b"not an archive")
    with pytest.raises(AptError, match=r"cannot read bad\.deb"):
        extract_members(DebInfo("bad", "1", "0" * 64, bad), tmp_path / "x", lambda n: True)
    assert not (tmp_path / "x" / "bad" / ".nmt-extracted").exists()


class TableApt(AptCache):
    """apt-cache show answers from a table of versions; apt-get download is recorded."""

    def __init__(self, root: Path, versions: dict[str, list[str]]) -> None:
        super().__init__(root, ["de"])
        self.versions = versions
        self.downloads: list[list[str]] = []

    def _run(self, args: Sequence[str], cwd: Path | None = None, *, check: bool = True) -> str:
        if args[0] == "apt-get":
            self.downloads.append(list(args[2:]))
            return ""
        names = [a for a in args[2:] if not a.startswith("-")]
        latest_only = "--no-all-versions" in args
        blocks = []
        for name in names:
            for ver in self.versions.get(name, [])[: 1 if latest_only else None]:
                blocks.append(f"Package: {name}\nVersion: {ver}\nSize: 10\n")
        return "\n".join(blocks)


def test_pins_gone_from_the_archive_are_all_named_or_replaced_on_request(tmp_path: Path) -> None:
    apt = TableApt(tmp_path, {"a": ["2"], "b": ["3", "1"], "c": ["5"]})
    pins = {"a": "1", "b": "1", "c": "4"}
    with pytest.raises(AptError, match=r"2 pinned version\(s\).*a 1, c 4.*--pin-allow-current"):
        apt.lookup(["a", "b", "c"], pins)
    chosen = apt.lookup(["a", "b", "c"], pins, allow_current=True)
    assert {p: r["Version"] for p, r in chosen.items()} == {"a": "2", "b": "1", "c": "5"}
    assert apt.replaced_pins == {"a": ("1", "2"), "c": ("4", "5")}


def test_known_records_leaves_unknown_packages_out(tmp_path: Path) -> None:
    apt = TableApt(tmp_path, {"a": ["2"], "b": ["3", "1"]})
    found = apt.known_records(["a", "b", "gone"])
    assert {p: r["Version"] for p, r in found.items()} == {"a": "2", "b": "3"}
    assert apt.known_records([]) == {}


def test_contents_indexes_are_an_apt_target_and_required(tmp_path: Path) -> None:
    apt = AptCache(tmp_path, ["de"])
    opts = apt._options()
    assert (
        "Acquire::IndexTargets::deb::NmtContents::MetaKey=$(COMPONENT)/Contents-$(ARCHITECTURE)"
        in opts
    )
    for name in ("x_main_binary-amd64_Packages.lz4", "x_main_i18n_Translation-en.lz4"):
        (apt.lists / name).touch()
    (apt.lists / "x_main_i18n_Translation-de.lz4").touch()
    assert not apt.has_lists()  # a state from before discovery: update once
    (apt.lists / "x_main_Contents-all.lz4").touch()
    (apt.lists / "x_contrib_Contents-all.lz4").touch()
    assert apt.has_lists()
    assert [p.name for p in apt.contents_files()] == ["x_main_Contents-all.lz4"]
