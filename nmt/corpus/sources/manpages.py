"""Linux man pages: `manpages`, `manpages-dev` and `manpages-<lang>`, `manpages-<lang>-dev`.

English pages live under `usr/share/man/man*/`, translated ones under `usr/share/man/<lang>/man*/`,
both as gzipped roff (`man.7` macros). The translations are made with po4a, which keeps the
macro structure of the English page, so the two pages of one name (`manN/name.N.gz`) are split
into blocks and zipped when their block sequences agree. For en-de, the 1,083 page names both
sides have are 502 distinct pairs of files once links are followed, and all 502 agree.

Blocks: a page splits at `.SH`/`.SS` (the heading is a block of its own, the text after it a
paragraph), `.PP`/`.LP`/`.P`/`.HP` (paragraph), `.TP`/`.TQ` (the tag line is a block, the text
after it another) and `.IP` (its tag argument, when given, is a block, the text after it another).
Blocks without text are dropped before comparing: in roff an empty paragraph is no paragraph, and
po4a adds one before its translator section. That section (`.SH ÜBERSETZUNG`, `.SH TRADUCTION`),
appended at the end of every translated page, is removed.

Text: font escapes (`\\fB`, `\\f(CW`, `\\f[...]`) and size escapes are stripped, glyph escapes
(`\\-`, `\\(aq`, `\\[dq]`, `\\e`, ...) become their characters, `\\&` and friends vanish, comments
(`.\\"`, `\\"`) are dropped. Inline font macros keep their arguments: `.B`/`.I` join them with
spaces, the alternating ones (`.BR`, `.IR`, `.BI`, ...) without. No-fill and example displays
(`.nf`/`.fi`, `.EX`/`.EE`), tables (`.TS`/`.TE`), equations, macro definitions and typesetter-only
conditionals are skipped; all other requests (`.TH`, `.in`, `.sp`, `.br`, `.RS`, `.RE`, ...) are
structure and carry no text.

Symbolic links (`cacosl.3.gz -> cacos.3.gz`) are followed; a pair of target pages is read once.
`.so` redirect pages are skipped and counted. Origin: `manpages/<manN/name.N>` of the English page
file (links resolved), e.g. `manpages/man2/chdir.2`.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nmt.corpus.sources.markup import collapse_ws
from nmt.corpus.types import RawPair, SourceContext

logger = logging.getLogger(__name__)

SOURCE = "manpages"
# Heading of the section po4a appends to every translated page (manpages-l10n's addendum).
ADDENDUM_HEADINGS: Mapping[str, frozenset[str]] = {
    "de": frozenset({"ÜBERSETZUNG"}),
    "fr": frozenset({"TRADUCTION"}),
}

# Two-character (`\(xx`) and bracketed (`\[xx]`) glyph names -> text. Unknown glyphs vanish.
GLYPHS: Mapping[str, str] = {
    "aq": "'", "dq": '"', "oq": "‘", "cq": "’", "lq": "“", "rq": "”", "Bq": "„", "bq": "‚",
    "Fo": "«", "Fc": "»", "fo": "‹", "fc": "›", "hy": "-", "en": "–", "em": "—", "mi": "-",
    "bu": "•", "ha": "^", "ti": "~", "rs": "\\", "sl": "/", "ga": "`", "aa": "´", "at": "@",
    "sh": "#", "Do": "$", "eq": "=", "pl": "+", "mu": "×", "di": "÷", "+-": "±", "<=": "≤",
    ">=": "≥", "!=": "≠", "->": "→", "<-": "←", "de": "°", "co": "©", "rg": "®", "tm": "™",
    "sc": "§", "ps": "¶", "mc": "µ", "ct": "¢", "Po": "£", "Eu": "€", "eu": "€", "Ye": "¥",
    "12": "½", "14": "¼", "34": "¾", "ss": "ß", "lB": "[", "rB": "]", "lC": "{", "rC": "}",
    "la": "⟨", "ra": "⟩", "ba": "|", "or": "|", "ul": "_", "ci": "○", "dg": "†", "tno": "¬",
    ":a": "ä", ":o": "ö", ":u": "ü", ":A": "Ä", ":O": "Ö", ":U": "Ü", ":e": "ë", ":i": "ï",
    "'e": "é", "'a": "á", "'o": "ó", "'E": "É", "`e": "è", "`a": "à", "^e": "ê", "^a": "â",
    ",c": "ç", ",C": "Ç", "~n": "ñ", "~N": "Ñ",
}  # fmt: skip
# Predefined strings (`\*x`, `\*(xx`, `\*[xx]`) of man.7 and groff.
STRINGS: Mapping[str, str] = {
    "R": "®", "Tm": "™", "lq": "“", "rq": "”", "S": "", "-": "-", "aq": "'", "dq": '"',
}  # fmt: skip
# One-character escapes `\x` -> text; any other `\x` gives `x`, as groff does.
SIMPLE_ESCAPES: Mapping[str, str] = {
    "-": "-", "e": "\\", "\\": "\\", "E": "\\", "&": "", " ": " ", "~": " ", "0": " ",
    "|": "", "^": "", ",": "", "/": "", "%": "", ":": "", "c": "", "t": " ", "'": "´",
    "`": "`", "{": "", "}": "", "a": "", "d": "", "u": "", "r": "", "p": "", "z": "",
}  # fmt: skip
_ESCAPE = re.compile(
    r"""\\(?:
      f(?:\[[^\]]*\]|\(..|.)                         # font change
    | s(?:[-+]?\(\d\d|\[[^\]]*\]|'[^']*'|[-+]?\d)    # size change
    | \*(?:\[(?P<sb>[^\]]*)\]|\((?P<sp>..)|(?P<s1>.)) # predefined string
    | n[-+]?(?:\[[^\]]*\]|\(..|.)                    # number register
    | \[(?:u(?P<uni>[0-9A-Fa-f]{4,6})|(?P<gb>[^\]]*))\]  # bracketed glyph
    | \((?P<gp>..)                                   # two-character glyph
    | [hvwNoLlDXZbxSHRAB]'[^']*'                     # delimited escapes: motion, width, ...
    | k.                                             # mark horizontal position
    | (?P<simple>.)
    )""",
    re.VERBOSE,
)
# Alternating-font macros join their arguments without spaces; `.B`-likes join with spaces.
ALTERNATING_MACROS = frozenset({"BR", "RB", "BI", "IB", "IR", "RI"})
SPACED_MACROS = frozenset({"B", "I", "SM", "SB"})
PARAGRAPH_MACROS = frozenset({"PP", "LP", "P", "HP"})
# Displays skipped whole: request -> the request that ends it.
SKIPPED_DISPLAYS: Mapping[str, str] = {
    "nf": "fi", "EX": "EE", "TS": "TE", "EQ": "EN", "de": ".", "de1": ".", "am": ".", "ig": ".",
}  # fmt: skip
# No-fill displays that a section heading also ends (pages that forget their `.fi`).
FILL_DISPLAYS = frozenset({"nf", "EX"})


def _escape_text(match: re.Match[str]) -> str:
    """Replacement text of one escape matched by `_ESCAPE`."""
    groups = match.groupdict()
    if groups["uni"]:
        return chr(int(groups["uni"], 16))
    glyph = groups["gb"] if groups["gb"] is not None else groups["gp"]
    if glyph is not None:
        return GLYPHS.get(glyph, "")
    string = groups["sb"] if groups["sb"] is not None else groups["sp"] or groups["s1"]
    if string is not None:
        return STRINGS.get(string, "")
    simple = groups["simple"]
    if simple is not None:
        return SIMPLE_ESCAPES.get(simple, simple)
    return ""  # font, size, register, motion: no text


def strip_comment(line: str) -> str:
    """`line` without a trailing `\\"` (or `\\#`) comment; escaped backslashes are respected."""
    i = 0
    while True:
        i = line.find("\\", i)
        if i < 0 or i + 1 >= len(line):
            return line
        if line[i + 1] in '"#':
            return line[:i]
        i += 2  # skip the escaped character (`\\` included)


def roff_text(text: str) -> str:
    """Translate the escapes of a comment-free roff fragment into plain text (not collapsed)."""
    return _ESCAPE.sub(_escape_text, text)


def split_args(text: str) -> list[str]:
    """Split a request's argument string at unescaped spaces; `"..."` groups, `""` is a quote.

    Escapes are kept as written (`\\ ` does not split); translate them with `roff_text`.
    """
    args: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        arg: list[str] = []
        quoted = text[i] == '"'
        i += quoted
        while i < n:
            ch = text[i]
            if ch == "\\" and i + 1 < n:
                arg.append(text[i : i + 2])
                i += 2
                continue
            if quoted and ch == '"':
                if text[i + 1 : i + 2] == '"':
                    arg.append('"')
                    i += 2
                    continue
                i += 1
                break
            if not quoted and ch in " \t":
                break
            arg.append(ch)
            i += 1
        args.append("".join(arg))
    return args


@dataclass
class _Block:
    """One block of a page: its kind (`SH`, `SS`, `PP`, `TP-tag`, `TP`, `IP-tag`, `IP`) and text."""

    kind: str
    parts: list[str] = field(default_factory=list)
    glue: bool = False  # the next piece joins without a space (after `\c`, before `.UE .`)

    def add(self, text: str, glue: bool = False) -> None:
        """Append a piece of text, separated by a space unless it or the last piece glues."""
        if not text:
            return
        if self.parts and not (glue or self.glue):
            self.parts.append(" ")
        self.parts.append(text)
        self.glue = False

    def text(self) -> str:
        """The block's text, whitespace collapsed."""
        return collapse_ws("".join(self.parts))


class _PageParser:
    """Turns the lines of one man page into blocks (see the module docstring for the rules)."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = [_Block("PP")]  # text before the first heading
        self._pending: str = ""  # kind of a block that takes the next text line (tag, heading)
        self._skip_until: str = ""  # end request of a skipped display
        self._skip_fill = False  # the skipped display is `.nf`/`.EX` (a heading also ends it)
        self._skip_braces = False  # inside a `.if ... \{` block

    def feed(self, line: str) -> None:
        """Process one input line (without its newline)."""
        if self._skip_braces:
            self._skip_braces = "\\}" not in line
            return
        if line[:1] in ".'":
            self._request(line[1:])
        elif not self._skip_until:
            self._text(line)

    def _text(self, raw: str) -> None:
        """A text line: goes to the pending tag/heading block, else to the current block."""
        body = strip_comment(raw)
        glue_next = body.rstrip().endswith("\\c") and not body.rstrip().endswith("\\\\c")
        self._add(roff_text(body))
        self.blocks[-1].glue = glue_next

    def _add(self, text: str, glue: bool = False) -> None:
        """Add text to the current block, first opening the pending tag or heading block."""
        if self._pending and text.strip():
            self._open_pending(text)
        else:
            self.blocks[-1].add(text, glue)

    def _open_pending(self, text: str) -> None:
        """Open the pending tag/heading block with `text`, then the body block that follows it."""
        tag_kind = self._pending
        self._pending = ""
        self.blocks.append(_Block(tag_kind))
        self.blocks[-1].add(text)
        body_kind = {"SH": "PP", "SS": "PP"}.get(tag_kind, tag_kind.removesuffix("-tag"))
        self.blocks.append(_Block(body_kind))

    def _request(self, line: str) -> None:
        """A control line: a block break, an inline font macro, a skipped display or structure."""
        # The request name ends at the first space or tab (`.TP\t4`, `.SH "SEE ALSO"`).
        name, _, rest = strip_comment(line).strip().replace("\t", " ").partition(" ")
        if self._skip_until:
            ends_fill = self._skip_fill and name in ("SH", "SS")
            if name != self._skip_until and not ends_fill:
                return
            self._skip_until = ""
            if not ends_fill:
                return
        if not name:
            return  # a bare `.` or a comment line
        args = split_args(rest)
        if name in SKIPPED_DISPLAYS:
            if self._pending and name not in ("de", "de1", "am", "ig"):
                self._open_pending("")  # a display as `.TP` tag: the tag is the (skipped) display
            self._skip_until = SKIPPED_DISPLAYS[name]
            self._skip_fill = name in FILL_DISPLAYS
        elif name in ("if", "ie", "el"):
            # Conditionals select troff/nroff variants; their text is never translated prose.
            self._skip_braces = "\\{" in rest and "\\}" not in rest
        else:
            self._macro(name, args)

    def _macro(self, name: str, args: list[str]) -> None:
        """Man macros that break blocks or carry text; anything else is structure."""
        text = [roff_text(arg) for arg in args]
        if name in ("SH", "SS"):
            self._break(name, " ".join(text))
        elif name in PARAGRAPH_MACROS:
            self._break("PP")
        elif name in ("TP", "TQ"):
            self._break("", pending="TP-tag")
        elif name == "IP":
            self._break("IP", text[0] if text else "")
        elif name in ALTERNATING_MACROS:
            self._add("".join(text))
        elif name in SPACED_MACROS:
            self._add(" ".join(text))
        elif name in ("UE", "ME") and text:
            self._add("".join(text), glue=True)  # trailing punctuation after a link
        elif name == "MR" and len(text) >= 2:
            self._add(f"{text[0]}({text[1]}){''.join(text[2:])}")

    def _break(self, kind: str, heading: str = "", pending: str = "") -> None:
        """Start a new block.

        `kind` SH/SS/IP with a `heading` (the tag of `.IP`): the heading is a block and a body
        block follows; SH/SS without heading: the next text line is the heading. `kind` "PP": a
        plain paragraph. `pending`: the next text line is a block of that kind (`.TP` tag).
        """
        self._pending = pending
        if kind in ("SH", "SS", "IP"):
            if heading.strip():
                self.blocks.append(_Block(f"{kind}-tag" if kind == "IP" else kind, [heading]))
                self.blocks.append(_Block("PP" if kind != "IP" else "IP"))
            elif kind == "IP":
                self.blocks.append(_Block("IP"))
            else:
                self._pending = kind
        elif kind:
            self.blocks.append(_Block(kind))


def parse_page(text: str) -> list[tuple[str, str]]:
    """The non-empty blocks of a man page as (kind, text), in page order."""
    parser = _PageParser()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        # A trailing lone backslash continues the line (an escaped newline).
        while line.endswith("\\") and not line.endswith("\\\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + lines[i]
        parser.feed(line)
        i += 1
    blocks = [(block.kind, block.text()) for block in parser.blocks]
    return [(kind, text) for kind, text in blocks if text]


def strip_addendum(blocks: list[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    """`blocks` of a translated page without the translator section po4a appends at its end."""
    headings = ADDENDUM_HEADINGS.get(lang, frozenset())
    for i in range(len(blocks) - 1, -1, -1):
        kind, text = blocks[i]
        if kind == "SH" and text.strip('"').upper() in headings:
            return blocks[:i]
    return blocks


def is_redirect(text: str) -> bool:
    """True for a `.so other/page.N` page, whose first request includes another page."""
    for line in text.splitlines():
        if not line.strip() or line.startswith(('.\\"', "'\\\"")):
            continue
        return line.startswith(".so ")
    return False


def read_page(path: Path) -> str:
    """The decoded text of a (possibly gzipped) man page.

    Raises OSError (incl. gzip.BadGzipFile), EOFError, zlib.error or UnicodeDecodeError.
    """
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def _resolve(path: Path, root: Path) -> Path | None:
    """Follow `path`'s symbolic links inside the extracted package `root`; None when broken.

    Absolute link targets are taken relative to `root` (the package's `/`), never the host's.
    """
    for _ in range(16):
        if not path.is_symlink():
            return Path(os.path.normpath(path)) if path.is_file() else None
        target = path.readlink()
        path = root / target.relative_to("/") if target.is_absolute() else path.parent / target
    return None  # a link loop


def _page_index(
    package_roots: list[Path], subdir: str, ctx: SourceContext
) -> dict[str, tuple[Path, Path]]:
    """`manN/name.N[.gz]` -> (resolved page file, its man root) over `package_roots`.

    The first package that has a page name wins (`manpages` before `manpages-dev`). Broken links
    are counted as `broken-link`.
    """
    index: dict[str, tuple[Path, Path]] = {}
    for pkg_root in package_roots:
        man_root = Path(os.path.normpath(pkg_root / subdir))  # comparable with resolved paths
        if not man_root.is_dir():
            continue
        for page in sorted(man_root.glob("man*/*")):
            rel = page.relative_to(man_root).as_posix()
            if rel in index:
                continue
            resolved = _resolve(page, pkg_root)
            if resolved is None:
                ctx.skip(f"{SOURCE}/broken-link")
                continue
            index[rel] = (resolved, man_root)
    return index


def _load(path: Path, ctx: SourceContext) -> str | None:
    """The page text, or None after counting why it cannot be read (or is a `.so` redirect)."""
    try:
        text = read_page(path)
    except UnicodeDecodeError:
        ctx.skip(f"{SOURCE}/bad-encoding")
        return None
    except (OSError, EOFError, zlib.error) as err:
        logger.debug("%s: unreadable: %s", path, err)
        ctx.skip(f"{SOURCE}/bad-gzip" if path.suffix == ".gz" else f"{SOURCE}/unreadable")
        return None
    if is_redirect(text):
        ctx.skip(f"{SOURCE}/redirect")
        return None
    return text


def _origin(path: Path, man_root: Path) -> str:
    """`manpages/manN/name.N` for a resolved page file (the `.gz` suffix dropped)."""
    rel = path.relative_to(man_root).as_posix() if path.is_relative_to(man_root) else path.name
    return f"{SOURCE}/{rel.removesuffix('.gz')}"


def extract(ctx: SourceContext) -> Iterator[RawPair]:
    """Yield (English, ctx.lang) block pairs of every page pair whose block sequences agree.

    Page names are visited in sorted order. Counted on `ctx`: translated pages without an English
    page (`no-english-page`), English pages without a translation (`untranslated-page`), pairs of
    already-read files reached through links (`duplicate-link`), unreadable or redirect pages and
    block-sequence mismatches (`structure-mismatch`).
    """
    lang = ctx.lang
    en_index = _page_index(
        [ctx.packages["manpages"], ctx.packages["manpages-dev"]], "usr/share/man", ctx
    )
    tr_index = _page_index(
        [ctx.packages[f"manpages-{lang}"], ctx.packages[f"manpages-{lang}-dev"]],
        f"usr/share/man/{lang}",
        ctx,
    )
    ctx.skip(f"{SOURCE}/untranslated-page", len(en_index.keys() - tr_index.keys()))
    ctx.skip(f"{SOURCE}/no-english-page", len(tr_index.keys() - en_index.keys()))
    seen: set[tuple[Path, Path]] = set()
    matched = 0
    names = sorted(en_index.keys() & tr_index.keys())
    for name in names:
        (en_path, en_root), (tr_path, _) = en_index[name], tr_index[name]
        if (en_path, tr_path) in seen:
            ctx.skip(f"{SOURCE}/duplicate-link")
            continue
        seen.add((en_path, tr_path))
        # One reason per page pair: the translation is not read when the English page is unusable.
        en_text = _load(en_path, ctx)
        tr_text = None if en_text is None else _load(tr_path, ctx)
        if en_text is None or tr_text is None:
            continue
        en_blocks = parse_page(en_text)
        tr_blocks = strip_addendum(parse_page(tr_text), lang)
        if [kind for kind, _ in en_blocks] != [kind for kind, _ in tr_blocks]:
            logger.debug("%s: block structure differs from %s", tr_path, en_path)
            ctx.skip(f"{SOURCE}/structure-mismatch")
            continue
        matched += 1
        origin = _origin(en_path, en_root)
        for (_, en_block), (_, tr_block) in zip(en_blocks, tr_blocks, strict=True):
            yield RawPair(en_block, tr_block, origin)
    logger.info("%s: %d of %d page pairs zipped (%s)", SOURCE, matched, len(names), lang)
