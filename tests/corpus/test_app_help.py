"""GNOME application help: documents chosen by discovery, plugin pages, DocBook counted."""

from __future__ import annotations

from pathlib import Path

from nmt.corpus.sources import app_help
from nmt.corpus.types import SourceContext
from tests.corpus.test_gnome_help import DE_PAGE, EN_PAGE, _write


def test_documents_of_each_package_are_paired_page_by_page(tmp_path: Path) -> None:
    app, plugin = tmp_path / "gedit-common", tmp_path / "gedit-plugin-x"
    for root, page in ((app, "index.page"), (plugin, "plugins/x.page")):
        _write(root / "usr/share/help/C/gedit" / page, EN_PAGE.format(id="i", extra=""))
        _write(root / "usr/share/help/de/gedit" / page, DE_PAGE.format(id="i", extra=""))
    _write(app / "usr/share/help/C/other/index.page", EN_PAGE.format(id="o", extra=""))
    _write(app / "usr/share/help/C/manual/index.docbook", "<book/>")
    _write(app / "usr/share/help/de/manual/index.docbook", "<book/>")
    ctx = SourceContext(
        "de",
        {"gedit-common": app, "gedit-plugin-x": plugin},
        tmp_path / "lists",
        items={"gedit-common": ("gedit", "manual"), "gedit-plugin-x": ("gedit",)},
    )
    pairs = list(app_help.extract(ctx))
    origins = sorted({p.origin for p in pairs})
    assert origins == [
        "gedit-common/gedit/index.page",
        "gedit-plugin-x/gedit/plugins/x.page",
    ]  # "other" has no translation and was not chosen; the DocBook manual is counted
    assert ("Sound settings", "Klangeinstellungen") in {(p.source, p.target) for p in pairs}
    assert ctx.skipped["gnome-help/not-mallard"] == 1
