"""XLIFF 1.2 and 2.0: targets filled with inline tags intact, marked for review, notes and
untranslatable units kept, the layout of the file kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from nmt.files.inline import from_markup, to_markup
from tests.files.conftest import Run, summary, write

pytest.importorskip("translate.storage.xliff")

NS1 = "urn:oasis:names:tc:xliff:document:1.2"
NS2 = "urn:oasis:names:tc:xliff:document:2.0"

XLIFF12 = f"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="{NS1}">
  <file original="app" source-language="en" datatype="plaintext">
    <body>
      <trans-unit id="tags">
        <source>Click <g id="1">here</g> to open the <x id="2"/> file &amp; Save.</source>
        <note>Keep the link.</note>
      </trans-unit>
      <trans-unit id="code">
        <source>Print <bpt id="1">&lt;b&gt;</bpt>the file<ept id="1">&lt;/b&gt;</ept> %s</source>
      </trans-unit>
      <trans-unit id="accel">
        <source>&amp;Open</source>
      </trans-unit>
      <trans-unit id="done">
        <source>Quit</source>
        <target state="translated">Schließen</target>
      </trans-unit>
      <trans-unit id="no" translate="no">
        <source>Quit</source>
      </trans-unit>
    </body>
  </file>
</xliff>
"""

XLIFF20 = f"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="2.0" xmlns="{NS2}" srcLang="en">
  <file id="f1">
    <unit id="u1">
      <notes><note>A note</note></notes>
      <segment id="s1">
        <source>Click <pc id="1">here</pc> to open the <ph id="2"/> file.</source>
      </segment>
      <segment id="s2">
        <source>Save <sc id="3"/>the<ec startRef="3"/> files</source>
      </segment>
    </unit>
    <unit id="u2" translate="no">
      <segment><source>Quit</source></segment>
    </unit>
  </file>
</xliff>
"""


def targets(path: Path, ns: str) -> dict[str, etree._Element]:
    root = etree.parse(str(path)).getroot()
    found = {}
    for element in root.iter(f"{{{ns}}}trans-unit", f"{{{ns}}}segment"):
        target = element.find(f"{{{ns}}}target")
        key = element.get("id") or element.getparent().get("id")
        if target is not None:
            found[key] = target
    return found


def inner(element: etree._Element) -> str:
    text = etree.tostring(element, encoding="unicode", with_tail=False)
    return text[text.index(">") + 1 : text.rindex("<")].replace(f' xmlns="{NS1}"', "")


def test_xliff12_inline_tags_states_notes_and_kept_units(tmp_path: Path, run: Run) -> None:
    source = write(tmp_path / "app.xlf", XLIFF12)
    status, out, err = run(source, tmp_path / "de.xlf")
    assert status == 0, err
    assert summary(out)["translated"] == 3 and summary(out)["kept"] == 1
    found = targets(tmp_path / "de.xlf", NS1)
    assert inner(found["tags"]) == (
        'Klicken <g id="1">hier</g> to öffnen die <x id="2"/> Datei &amp; Speichern.'
    )
    assert inner(found["code"]) == (
        'Drucken <bpt id="1">&lt;b&gt;</bpt>die Datei<ept id="1">&lt;/b&gt;</ept> %s'
    )
    assert found["accel"].text == "&Öffnen"
    assert found["tags"].get("state") == "needs-review-translation"
    assert found["tags"].get("state-qualifier") == "mt-suggestion"
    assert found["done"].text == "Schließen" and found["done"].get("state") == "translated"
    assert "no" not in found
    text = (tmp_path / "de.xlf").read_text()
    assert "<note>Keep the link.</note>" in text and 'target-language="de"' in text


def test_xliff20_segments_get_targets_with_inline_codes(tmp_path: Path, run: Run) -> None:
    source = write(tmp_path / "app.xliff", XLIFF20)
    status, _out, err = run(source, tmp_path / "de.xliff")
    assert status == 0, err
    found = targets(tmp_path / "de.xliff", NS2)
    assert set(found) == {"s1", "s2"}
    s1 = etree.tostring(found["s1"], encoding="unicode", with_tail=False)
    assert '<pc id="1">hier</pc>' in s1 and '<ph id="2"/>' in s1
    s2 = etree.tostring(found["s2"], encoding="unicode", with_tail=False)
    assert '<sc id="3"/>die<ec startRef="3"/> Dateien' in s2
    root = etree.parse(str(tmp_path / "de.xliff")).getroot()
    assert root.get("trgLang") == "de"
    segments = root.iter(f"{{{NS2}}}segment")
    assert [s.get("state") for s in segments] == ["initial", "initial", None]
    assert "<notes><note>A note</note></notes>" in (tmp_path / "de.xliff").read_text()


def test_markup_round_trips_and_code_content_never_reaches_the_model() -> None:
    source = etree.fromstring(
        f'<source xmlns="{NS1}">a &lt;b&gt; <g id="1" ctype="bold">c <x id="2"/></g>'
        '<ph id="3">&lt;br/&gt;</ph> d</source>'
    )
    markup = to_markup(source, version=1)
    assert markup.text == 'a &lt;b&gt; <g id="1" ctype="bold">c <x id="2"/></g><nmt-code-1/> d'
    assert markup.codes == {"<nmt-code-1/>": '<ph id="3">&lt;br/&gt;</ph>'}
    target = etree.Element(f"{{{NS1}}}target", nsmap={None: NS1})
    from_markup(markup.text, markup.codes, target)
    assert etree.tostring(target) == etree.tostring(source).replace(b"source", b"target")
    with pytest.raises(etree.XMLSyntaxError):
        from_markup('</g> x <g id="1">', markup.codes, target)


ODD_NODES = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xliff [<!ENTITY product "Writer">]>
<xliff version="1.2" xmlns="{NS1}">
  <file original="app" source-language="en" datatype="plaintext">
    <body>
      <trans-unit id="ent"><source>Open &product; now.</source></trans-unit>
      <trans-unit id="com"><source>Save the <!-- a note -->file.</source></trans-unit>
      <trans-unit id="pi"><source>Close the <?app x?> window.</source></trans-unit>
      <trans-unit id="cdata"><source>Print <![CDATA[<b>all</b>]]> pages.</source></trans-unit>
    </body>
  </file>
</xliff>
"""


def test_entities_comments_pis_and_cdata_in_a_source_are_kept(tmp_path: Path, run: Run) -> None:
    source = write(tmp_path / "odd.xlf", ODD_NODES)
    status, out, err = run(source, tmp_path / "de.xlf")
    assert status == 0, err
    assert summary(out)["translated"] == 4
    text = (tmp_path / "de.xlf").read_text()
    found = targets(tmp_path / "de.xlf", NS1)
    assert text.count("&product;") == 2  # the target's is still a reference, not resolved
    assert "<!-- a note -->" in inner(found["com"])
    assert "<?app x?>" in inner(found["pi"])
    assert "&lt;b&gt;all&lt;/b&gt;" in inner(found["cdata"])  # CDATA's text, escaped
    assert '<!ENTITY product "Writer">' in text
