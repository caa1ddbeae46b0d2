"""XLIFF inline markup <-> a string the Translator protects and restores.

A `<source>` element becomes XML text: its text escaped (`&amp;`, `&lt;`, which protect keeps
as entities), elements whose content is translatable (1.2 `g`, `mrk`; 2.0 `pc`, `mrk`) as
start and end tags with their attributes (protected as a paired `⦅TO⦆`/`⦅TC⦆`), empty
elements (1.2 `x`, `bx`, `ex`; 2.0 `ph`, `sc`, `ec`, `sm`, `em`, `cp`) as self-closing tags
(`⦅TS⦆`). Elements whose content is native code, never text (1.2 `ph`, `bpt`, `ept`, `it`),
are replaced whole by an opaque self-closing token so not even their content reaches the model.
Nodes that are not elements (an unresolved entity reference such as `&product;`, a comment, a
processing instruction) are kept the same way: an opaque token, put back verbatim in the target.
(CDATA is plain text once parsed: its content is translated and written back escaped.)
The translated string is parsed back into the `<target>`, tokens replaced by their nodes.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any
from xml.sax.saxutils import escape, quoteattr

CODE_ELEMENTS = frozenset({"ph", "bpt", "ept", "it"})  # 1.2: content is native code
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"


@dataclasses.dataclass(frozen=True, slots=True)
class Markup:
    """A source's content as a string for the Translator, and the code tokens in it."""

    text: str
    codes: dict[str, str]  # token -> the element it stands for (serialized)
    elements: bool  # whether the source holds any inline element


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_element(node: Any) -> bool:
    """An element, not an entity reference, comment or processing instruction (whose lxml
    `tag` is a factory function, not a name)."""
    return isinstance(node.tag, str)


def _verbatim(node: Any) -> str:
    """A non-element node as it appears in XML (`&name;`, `<!--...-->`, `<?target data?>`)."""
    from lxml import etree

    text: str = etree.tostring(node, encoding="unicode", with_tail=False)
    return text


def _attributes(element: Any) -> str:
    parts = []
    for key, value in element.attrib.items():
        name = "xml:" + key[len(_XML_NS) :] if key.startswith(_XML_NS) else _local(key)
        parts.append(f" {name}={quoteattr(value)}")
    return "".join(parts)


def _serialize(element: Any, codes: dict[str, str], version: int, counter: Any) -> str:
    """One inline element (its tail excluded) as markup; code elements and non-element nodes
    become tokens (inside a code element, `version` 0, they are written verbatim)."""
    if not _is_element(element):
        if version == 0:
            return _verbatim(element)
        token = f"<nmt-code-{next(counter)}/>"
        codes[token] = _verbatim(element)
        return token
    name = _local(element.tag)
    if version == 1 and name in CODE_ELEMENTS:
        token = f"<nmt-code-{next(counter)}/>"
        codes[token] = _serialize(element, {}, 0, counter)  # verbatim, children included
        return token
    inner = _content(element, codes, version, counter)
    if not inner and not len(element):
        return f"<{name}{_attributes(element)}/>"
    return f"<{name}{_attributes(element)}>{inner}</{name}>"


def _content(element: Any, codes: dict[str, str], version: int, counter: Any) -> str:
    parts = [escape(element.text or "")]
    for child in element:
        parts.append(_serialize(child, codes, version, counter))
        parts.append(escape(child.tail or ""))
    return "".join(parts)


def to_markup(source: Any, version: int) -> Markup:
    """The markup string of a `<source>` element (`version`: 1 for XLIFF 1.x, 2 for 2.0)."""
    codes: dict[str, str] = {}
    text = _content(source, codes, version, itertools.count(1))
    return Markup(text, codes, elements=len(source) > 0)


def from_markup(markup: str, codes: dict[str, str], target: Any) -> None:
    """Fill `target` (emptied first) from translated markup; tokens become their elements.

    Raises ValueError (lxml's XMLSyntaxError) when the markup is not well-formed, e.g. tags
    that a translation crossed; the target is then left as it was.
    """
    from lxml import etree

    namespace = etree.QName(target).namespace
    declaration = f' xmlns="{namespace}"' if namespace else ""
    parsed = etree.fromstring(f"<target{declaration}>{markup}</target>")
    for token, code in codes.items():
        name = token[1:-2]  # <nmt-code-N/> -> nmt-code-N
        for placeholder in parsed.iter(f"{{{namespace}}}{name}" if namespace else name):
            node = _node(code, declaration)
            node.tail = placeholder.tail
            placeholder.getparent().replace(placeholder, node)
    for child in list(target):
        target.remove(child)
    target.text = parsed.text
    target.extend(list(parsed))


def _node(code: str, declaration: str) -> Any:
    """The node that `code` (an element, comment or PI as XML, or `&name;`) stands for."""
    from lxml import etree

    if code.startswith("&") and code.endswith(";"):
        return etree.Entity(code[1:-1])  # kept unresolved, as it was read
    wrapper = etree.fromstring(f"<w{declaration}>{code}</w>")
    return wrapper[0]
