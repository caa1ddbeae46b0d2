"""Licences from machine-readable debian/copyright files."""

from __future__ import annotations

from pathlib import Path

from nmt.corpus.licences import SEE_PACKAGE, dep5_licence, package_licence

DEP5 = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: demo

Files: debian/*
Copyright: 2020 Someone
License: GPL-2+

Files: *
Copyright: 2019 Upstream
License: LGPL-2.1+
 The full text is in /usr/share/common-licenses.

License: LGPL-2.1+
 text
"""


def test_dep5_takes_the_files_star_paragraph() -> None:
    assert dep5_licence(DEP5) == "LGPL-2.1+"
    without_star = DEP5.replace("Files: *", "Files: src/*")
    assert dep5_licence(without_star) == "GPL-2+"  # the first Files paragraph


def test_free_form_and_missing_files_say_see_package(tmp_path: Path) -> None:
    assert dep5_licence("This package was debianized by ...\n\nGPL") == SEE_PACKAGE
    assert package_licence(tmp_path, "demo") == SEE_PACKAGE
    doc = tmp_path / "usr/share/doc/demo"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(DEP5)
    assert package_licence(tmp_path, "demo") == "LGPL-2.1+"
