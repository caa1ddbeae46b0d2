"""The apt layer offline: stanza parsing, cached downloads, version pins, .deb extraction."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from nmt.corpus.apt import AptCache, AptError, DebInfo, _parse_stanza, extract_deb
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

    def _run(self, args: Sequence[str], cwd: Path | None = None) -> str:
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
