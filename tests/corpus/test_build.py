"""`build_corpus` end to end with apt and the extractors replaced by small fakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from nmt.config import DataConfig, SplitConfig
from nmt.corpus import build
from nmt.corpus.apt import DebInfo
from nmt.corpus.discover import Selection
from nmt.corpus.recipes import Source
from nmt.corpus.types import RawPair, SourceContext


def _catalog(ctx: SourceContext) -> Iterator[RawPair]:
    for doc in range(40):
        for i in range(12):
            yield RawPair(
                f"Open file {i} in folder {doc}.",
                f"Datei {i} in Ordner {doc} öffnen.",
                f"pkg-a/dom{doc}",
            )
    yield RawPair("Same", "Same", "pkg-a/x")  # untranslated
    yield RawPair("   ", "leer", "pkg-a/x")  # empty after normalisation
    yield RawPair("Open file 1 in folder 1.", "Datei 1 in Ordner 1 öffnen.", "pkg-a/dup")
    ctx.skip("catalog/broken-file")


def _sentences(ctx: SourceContext) -> Iterator[RawPair]:
    for i in range(400):
        yield RawPair(f"The dog number {i} barks.", f"Der Hund Nummer {i} bellt.", "trans-de-en")


def _help(ctx: SourceContext) -> Iterator[RawPair]:
    yield RawPair("Open file 3 in folder 7.", "Öffnen Sie Datei 3.", "gnome-user-docs/p1")
    yield RawPair("GNOME", "GNOME", "gnome-user-docs/p2")  # identical kept in test


class FakeApt:
    def __init__(self, root: Path, languages: list[str]) -> None:
        self.root = root
        self.lists = root / "lists"
        self.lists.mkdir(parents=True, exist_ok=True)
        self.downloaded_bytes = 0
        self.replaced_pins: dict[str, tuple[str, str]] = {}

    def update(self, *, force: bool = False) -> None:
        pass

    def contents_files(self) -> list[Path]:
        return []

    def lookup(
        self, packages: list[str], pins: dict[str, str], *, allow_current: bool = False
    ) -> dict[str, dict[str, str]]:
        return {pkg: {"Version": pins.get(pkg, "1.0")} for pkg in packages}

    def download_many(self, records: dict[str, dict[str, str]]) -> dict[str, DebInfo]:
        return {
            pkg: DebInfo(pkg, rec["Version"], "ab" * 32, Path(f"{pkg}.deb"))
            for pkg, rec in records.items()
        }


def _fake_extract(deb: DebInfo, dest_root: Path, *wanted: object) -> Path:
    return dest_root / deb.package


def _no_discovery(*args: object, **kwargs: object) -> Selection:
    return Selection({}, {}, {})


@pytest.fixture()
def fake_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = [
        Source("catalogs", ("pkg-a",), _catalog),
        Source("ding", ("trans-de-en",), _sentences, sentence_units=True, test_hashed=True),
        Source("gnome-user-docs", ("gnome-user-docs",), _help, test_only=True),
    ]
    monkeypatch.setattr(build, "recipe", lambda pair: sources)
    monkeypatch.setattr(build, "AptCache", FakeApt)
    monkeypatch.setattr(build, "extract_deb", _fake_extract)
    monkeypatch.setattr(build, "extract_members", _fake_extract)
    monkeypatch.setattr(build, "discover", _no_discovery)


def _build(out: Path, apt: Path, **kw: bool) -> dict[str, object]:
    cfg = DataConfig(split=SplitConfig(valid_size=60, valid_tolerance=6, test_size=100))
    return build.build_corpus("en-de", out, apt_root=apt, cfg=cfg, **kw)


@pytest.mark.usefixtures("fake_recipe")
def test_build_writes_manifest_counts_and_is_reproducible(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    first = _build(out, tmp_path / "apt")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # In file order (test-only source first): evaluation cuts test.tsv by these counts.
    assert list(manifest["test_parts"].items()) == [("gnome-user-docs", 2), ("ding", 100)]
    assert manifest["sources"]["catalogs"]["packages"]["pkg-a"]["version"] == "1.0"
    assert manifest["sources"]["catalogs"]["extracted"] == 483
    assert manifest["skipped"]["catalogs/untranslated"] == 1
    assert manifest["skipped"]["catalogs/empty"] == 1
    assert manifest["skipped"]["catalog/broken-file"] == 1
    assert manifest["skipped"]["duplicate"] == 1
    assert manifest["skipped"]["test-overlap"] == 1  # "Open file 3 in folder 7." left train
    counts = {k: v["count"] for k, v in manifest["splits"].items()}
    assert counts["test"] == 102 and 54 <= counts["valid"] <= 66
    second = _build(out, tmp_path / "apt")
    assert first["splits"] == second["splits"]  # same sha256 on a rebuild


@pytest.mark.usefixtures("fake_recipe")
def test_pinned_versions_come_from_the_previous_manifest(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    _build(out, tmp_path / "apt")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["sources"]["catalogs"]["packages"]["pkg-a"]["version"] = "0.9"
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rebuilt = _build(out, tmp_path / "apt", pin=True)
    assert rebuilt["sources"]["catalogs"]["packages"]["pkg-a"]["version"] == "0.9"  # type: ignore[index]


def test_previous_versions_without_manifest_is_empty(tmp_path: Path) -> None:
    assert build.previous_versions(tmp_path) == {}


def test_recipes_cover_both_pairs() -> None:
    from nmt.corpus.recipes import recipe

    de = {s.name: s for s in recipe("en-de")}
    fr = {s.name: s for s in recipe("en-fr")}
    assert "ding" in de and "ding" not in fr
    assert "libreoffice-help-fr" in fr["libreoffice-help"].packages
    assert de["gnome-user-docs"].test_only
    with pytest.raises(ValueError, match="unsupported pair"):
        recipe("de-en")


def _ui_catalogs(ctx: SourceContext) -> Iterator[RawPair]:
    """A discovered gettext source: a UI test domain, a UI valid domain, common strings."""
    assert ctx.items == {"app-a": ("uitest", "common1"), "app-b": ("uivalid", "common2")}
    for i in range(30):
        yield RawPair(f"Show panel {i}", f"Leiste {i} anzeigen", "app-a/uitest")
        yield RawPair(f"Hide panel {i}", f"Leiste {i} verbergen", "app-b/uivalid")
    for unit in ("app-a/common1", "app-b/common2", "pkg-a/dom3"):
        yield RawPair("Cancel", "Abbrechen", unit)
    yield RawPair("Cancel", "Abbrechen", "app-a/uitest")
    # A catalog pair equal to a Ding pair: it must not move Ding's hashed sample.
    yield RawPair("The dog number 7 barks.", "Der Hund Nummer 7 bellt.", "app-a/common1")


@pytest.fixture()
def ui_recipe(monkeypatch: pytest.MonkeyPatch, fake_recipe: None) -> None:
    sources = [
        Source("catalogs", ("pkg-a",), _catalog),
        Source("gettext", (), _ui_catalogs, discover="catalogs", ui_domains=True),
        Source("ding", ("trans-de-en",), _sentences, sentence_units=True, test_hashed=True),
        Source("gnome-user-docs", ("gnome-user-docs",), _help, test_only=True),
    ]
    selection = Selection(
        {"app-a": ("uitest", "common1"), "app-b": ("uivalid", "common2")},
        {},
        {"huge": "over-size-cap:400.0MB"},
    )
    monkeypatch.setattr(build, "recipe", lambda pair: sources)
    monkeypatch.setattr(build, "discover", lambda *a, **k: selection)
    monkeypatch.setattr(build, "ui_domains", lambda pair: (("uitest",), ("uivalid",)))


@pytest.mark.usefixtures("ui_recipe")
def test_ui_domains_make_a_test_part_and_join_valid(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    manifest = _build(out, tmp_path / "apt")
    assert list(manifest["test_parts"].items()) == [  # type: ignore[union-attr]
        ("gnome-user-docs", 2),
        ("ding", 100),
        ("ui", 31),
    ]
    ui = manifest["ui"]
    assert ui["test_msgids"] == 31 and ui["valid_msgids"] == 30  # type: ignore[index]
    assert ui["common_vocabulary"] == ["Cancel"] and ui["test_seen_in_train"] == 1  # type: ignore[index]
    valid = (out / "valid.tsv").read_text(encoding="utf-8").splitlines()
    assert valid[0] == "Hide panel 0\tLeiste 0 verbergen"  # the UI valid domain comes first
    train = (out / "train.tsv").read_text(encoding="utf-8")
    assert "Cancel\tAbbrechen" in train and "Show panel" not in train and "Hide panel" not in train
    assert manifest["discovery"]["left_out"] == {"huge": "over-size-cap:400.0MB"}  # type: ignore[index]
    assert set(manifest["sources"]["gettext"]["packages"]) == {"app-a", "app-b"}  # type: ignore[index]
    assert manifest["packages"]["app-a"]["test"] == 31  # type: ignore[index]


def test_a_new_catalog_cannot_move_the_hashed_test_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_recipe: None
) -> None:
    plain = _build(tmp_path / "a", tmp_path / "apt")
    ding_before = (tmp_path / "a" / "test.tsv").read_text(encoding="utf-8").splitlines()[2:]
    # The same corpus with a catalog source before Ding that shares a pair with Ding.
    copier = lambda ctx: iter(  # noqa: E731
        [
            RawPair(f"The dog number {i} barks.", f"Der Hund Nummer {i} bellt.", "cat/x")
            for i in range(400)
        ]
    )
    sources = [
        Source("catalogs", ("pkg-a",), _catalog),
        Source("copier", ("pkg-b",), copier),
        Source("ding", ("trans-de-en",), _sentences, sentence_units=True, test_hashed=True),
        Source("gnome-user-docs", ("gnome-user-docs",), _help, test_only=True),
    ]
    monkeypatch.setattr(build, "recipe", lambda pair: sources)
    _build(tmp_path / "b", tmp_path / "apt")
    ding_after = (tmp_path / "b" / "test.tsv").read_text(encoding="utf-8").splitlines()[2:]
    assert ding_after == ding_before
    assert plain["test_part_sha256"]["ding"]  # type: ignore[index]


def test_test_part_hashes_are_the_sha256_of_the_part_lines() -> None:
    import hashlib

    from nmt.corpus.manifest import test_part_hashes

    pairs = [RawPair("a", "b", "o", corpus="x"), RawPair("c", "d", "o", corpus="y")]
    assert test_part_hashes(pairs) == {
        "x": hashlib.sha256(b"a\tb\n").hexdigest(),
        "y": hashlib.sha256(b"c\td\n").hexdigest(),
    }


def test_a_changed_frozen_part_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    from nmt.corpus.recipes import FROZEN_TEST_PARTS

    frozen = FROZEN_TEST_PARTS["en-de"]
    assert build.check_frozen_parts("en-de", dict(frozen)) == frozen
    assert not caplog.records
    build.check_frozen_parts("en-de", {**frozen, "ding": "0" * 64})
    assert "test part ding changed" in caplog.text


def test_the_built_corpus_keeps_the_frozen_test_parts() -> None:
    """On a machine with the corpus built (`make data`): gnome-user-docs and ding are exactly the
    lines every earlier model was scored on. Without a corpus there is nothing to check."""
    import hashlib

    from nmt.corpus.recipes import FROZEN_TEST_PARTS
    from nmt.paths import data_dir

    corpus = data_dir("en-de")
    if not (corpus / "manifest.json").exists():
        pytest.skip("no en-de corpus built under NMT_HOME")
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    lines = (corpus / "test.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    start, hashes = 0, {}
    for part, count in manifest["test_parts"].items():
        hashes[part] = hashlib.sha256("".join(lines[start : start + count]).encode()).hexdigest()
        start += count
    for part, want in FROZEN_TEST_PARTS["en-de"].items():
        assert hashes[part] == want, part


@pytest.mark.usefixtures("ui_recipe")
def test_pin_reuses_the_recorded_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "corpus"
    first = _build(out, tmp_path / "apt")

    def no_discovery(*args: object, **kwargs: object) -> Selection:
        raise AssertionError("--pin must not discover again")

    monkeypatch.setattr(build, "discover", no_discovery)
    again = _build(out, tmp_path / "apt", pin=True)
    assert again["discovery"] == first["discovery"]
    assert again["splits"] == first["splits"]


def test_discovered_packages_keep_only_catalogs_help_pages_and_copyright() -> None:
    wanted = build.l10n_files("de")
    assert wanted("usr/share/locale/de/LC_MESSAGES/gedit.mo")
    assert not wanted("usr/share/locale/de/LC_MESSAGES/sub/gedit.mo")
    assert not wanted("usr/share/locale/fr/LC_MESSAGES/gedit.mo")
    assert wanted("usr/share/help/C/gedit/index.page")
    assert wanted("usr/share/help/de/gedit/index.page")
    assert not wanted("usr/share/help/de/gedit/figures/shot.png")
    assert wanted("usr/share/doc/gedit-common/copyright")
    assert not wanted("usr/share/games/huge/level.dat")
