"""XLIFF 1.2 and 2.0 through translate-toolkit (imported here only) and lxml.

translate-toolkit parses the file and gives the translation units (1.2 `<trans-unit>`, 2.0
`<segment>`) with their source and target elements and translatability; the inline markup is
handled by `inline` so that tags are protected, and the document is written back with lxml as
it was read (only targets, states and the target language change). What translating does:
- fills each translatable unit without a target (every one with `overwrite`);
- marks a machine translation for review: 1.2 `state="needs-review-translation"
  state-qualifier="mt-suggestion"`, 2.0 the segment's `state="initial"` (translate-toolkit's
  and Weblate's "needs editing" for a filled target);
- keeps notes, ids, groups and every attribute; sets the target language where missing;
- a translation whose markup does not parse or whose placeholders changed leaves the unit
  untranslated (counted as `failed_check`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nmt.files.accelerators import detect_markers
from nmt.files.catalog import count, translated_forms
from nmt.files.errors import FileInputError
from nmt.files.forms import Form, finish, prepare
from nmt.files.inline import Markup, from_markup, to_markup
from nmt.files.placeholders import placeholders_intact
from nmt.translator import Translation

logger = logging.getLogger(__name__)


@dataclasses.dataclass(slots=True)
class _Unit:
    unit: Any
    markup: Markup
    form: Form


def _parse(path: Path) -> Any:
    """The lxml tree of `path`; FileInputError with the line for XML that is not well-formed."""
    try:
        from lxml import etree
    except ImportError:
        raise FileInputError(
            "lxml", "not installed: pip install 'nmt[files]' (or make setup)"
        ) from None
    try:
        return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except OSError as err:
        raise FileInputError(path, f"cannot read: {err}") from None
    except etree.XMLSyntaxError as err:
        line = err.lineno if err.lineno else None
        raise FileInputError(path, f"not well-formed XML: {err.msg}", line) from None


class XliffCatalog:
    """An XLIFF file ready for `catalog.translate_catalog`."""

    fmt = "xliff"

    def __init__(self, path: Path, *, language: str, overwrite: bool) -> None:
        self.path = path
        tree = _parse(path)
        root = tree.getroot()
        self.version = 2 if str(root.get("version", "")).startswith("2") else 1
        if root.tag.rsplit("}", 1)[-1] != "xliff":
            raise FileInputError(path, f"not XLIFF: the root element is <{root.tag}>", 1)
        self.store = self._store(path)
        self.tree = self.store.document
        self._set_language(language)
        units = [
            u for u in self.store.units if u.istranslatable() and u.get_source_dom() is not None
        ]
        markups = [to_markup(u.get_source_dom(), self.version) for u in units]
        plain = [
            u.get_source_dom().text or ""
            for u, m in zip(units, markups, strict=True)
            if not m.elements
        ]
        markers = detect_markers(plain)
        self.units: list[_Unit] = []
        self.kept = 0
        for unit, markup in zip(units, markups, strict=True):
            if not overwrite and _has_target(unit):
                self.kept += 1
                continue
            # A source with inline elements is translated as markup (no accelerators: `&`
            # is escaped there); a plain one as its text, where `&Open` is an accelerator.
            if markup.elements:
                form = prepare(markup.text, "")
            else:
                form = prepare(unit.get_source_dom().text or "", markers)
            self.units.append(_Unit(unit, markup, form))

    def _store(self, path: Path) -> Any:
        try:
            from translate.storage import xliff, xliff2
        except ImportError:
            raise FileInputError(
                "translate-toolkit", "not installed: pip install 'nmt[files]' (or make setup)"
            ) from None
        cls: Any = xliff2.Xliff2File if self.version == 2 else xliff.xlifffile
        try:
            return cls.parsestring(path.read_bytes())
        except Exception as err:  # translate-toolkit's own refusals (ValueError, asserts)
            raise FileInputError(path, f"not a valid XLIFF {self.version} file: {err}") from None

    def _set_language(self, language: str) -> None:
        root = self.tree.getroot()
        if self.version == 2:
            if not root.get("trgLang"):
                root.set("trgLang", language)
            return
        for node in root.iter(f"{{{self.store.namespace}}}file"):
            if not node.get("target-language"):
                node.set("target-language", language)

    def texts(self) -> list[str]:
        return list({u.form.core: None for u in self.units if not u.form.blank})

    def apply(self, results: Mapping[str, Translation], counts: dict[str, int]) -> None:
        count(counts, "kept", self.kept)
        for item in self.units:
            if item.form.blank:
                continue
            (translation,) = translated_forms([item.form.core], results, counts)
            if self._fill(item, translation):
                count(counts, "translated")
            else:
                count(counts, "failed_check")
                logger.warning(
                    "%s: unit %s left untranslated: %r -> %r",
                    self.path,
                    item.unit.getid(),
                    item.form.source,
                    translation,
                )

    def _fill(self, item: _Unit, translation: str) -> bool:
        """Put the translation into the unit's target; False (target untouched) on failure."""
        from lxml import etree

        text = finish(item.form, translation)
        if not text.strip() or not placeholders_intact(item.form.source, text):
            return False
        source = item.unit.get_source_dom()
        namespace = etree.QName(source).namespace
        target = source.makeelement(f"{{{namespace}}}target" if namespace else "target")
        if item.markup.elements:
            try:
                from_markup(text, item.markup.codes, target)
            except etree.XMLSyntaxError:
                return False
        else:
            target.text = text
        self._attach(item.unit, source, target)
        return True

    def _attach(self, unit: Any, source: Any, target: Any) -> None:
        old = unit.get_target_dom()
        if old is not None:
            for key, value in old.attrib.items():
                target.set(key, value)
            target.tail = old.tail
            old.getparent().replace(old, target)
        else:
            target.tail = source.tail
            indent = source.getparent().text
            if source.getnext() is None and indent is not None and not indent.strip():
                source.tail = indent  # the target goes on its own line, indented like source
            source.addnext(target)
        if self.version == 2:
            unit.xmlelement.set("state", "initial")
        else:
            target.set("state", "needs-review-translation")
            target.set("state-qualifier", "mt-suggestion")
            if unit.xmlelement.get("approved") == "yes":
                unit.xmlelement.set("approved", "no")

    def serialize(self) -> bytes:
        from lxml import etree

        data: bytes = etree.tostring(self.tree, xml_declaration=True, encoding="UTF-8")
        return data + b"\n"


def _has_target(unit: Any) -> bool:
    target = unit.get_target_dom()
    return target is not None and bool((target.text or "").strip() or len(target))
