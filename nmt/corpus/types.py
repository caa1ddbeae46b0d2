"""The record every extractor yields, and the context it is given."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RawPair:
    """One aligned segment pair as a source produced it, before cleaning.

    `source` is English, `target` the other language; both are the translators' text (markup and
    placeholders kept; only accelerators removed and gcc's `%<`/`%>` quotes mapped by extractors).
    `origin` is `<package>[/<document>]` and lands in the dataset's `origin` column. `unit` is what
    the valid split is hashed on (one `.mo` domain, help file, man page, package description);
    when empty, `origin` is the unit.
    """

    source: str
    target: str
    origin: str
    unit: str = ""
    corpus: str = ""  # the recipe source that produced it (set by the builder, not extractors)

    @property
    def split_unit(self) -> str:
        return self.unit or self.origin


@dataclass(slots=True)
class SourceContext:
    """What an extractor reads from.

    `packages` maps each Debian package name of the source's recipe to the folder its .deb was
    extracted into (`dpkg-deb -x`). `apt_lists` is the builder's own `Dir::State::Lists` (for the
    `Translation-*` index files). `skipped` counts malformed or filtered items by reason, so that
    nothing is dropped silently; reasons are short kebab-case words prefixed by the source name.
    """

    lang: str
    packages: Mapping[str, Path]
    apt_lists: Path
    skipped: Counter[str] = field(default_factory=Counter)
    # For discovered sources: package -> what discovery chose it for (text domains, help
    # documents). A package absent here is read whole.
    items: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n


class Extractor(Protocol):
    """A source of the recipe: `extract(ctx)` yields pairs in a deterministic order."""

    def __call__(self, ctx: SourceContext) -> Iterator[RawPair]: ...
