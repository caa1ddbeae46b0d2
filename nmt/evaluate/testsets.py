"""Test sets: parallel sources and references, optionally cut into named parts.

A corpus folder (`nmt data build`) writes its test split as consecutive blocks, one per test
part, in the order of `manifest.json`'s `test_parts` ({name: count}); a user test set is a TSV
(source TAB reference) or a pair of line-aligned files, one part named after the file.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from nmt.errors import NmtError
from nmt.tsv import TsvError, read_pairs


class TestSetError(NmtError, ValueError):
    """A test set that cannot be read; the message names the file (and line)."""

    __test__ = False  # not a pytest class, despite the name


@dataclasses.dataclass(frozen=True)
class TestSet:
    """`sources[i]` translates to `references[i]`; `parts` maps a part name to its [start, end)
    line range (ranges are consecutive and cover every line). `groups` are named subsets of a
    part that are scored apart but are not parts (`ui/seen`: the lines of the `ui` part whose
    source train holds, as the common UI vocabulary; `ui/unseen`: the rest)."""

    __test__ = False  # not a pytest class, despite the name

    name: str
    sources: list[str]
    references: list[str]
    parts: dict[str, tuple[int, int]]
    groups: dict[str, list[int]] = dataclasses.field(default_factory=dict)

    def selections(self) -> dict[str, list[int]]:
        """Line indices to score: every part, "all" when there are several, then the groups."""
        ranges = dict(self.parts)
        if len(ranges) > 1:
            ranges["all"] = (0, len(self))
        chosen = {name: list(range(start, end)) for name, (start, end) in ranges.items()}
        return {**chosen, **self.groups}

    def __post_init__(self) -> None:
        if len(self.sources) != len(self.references):
            raise TestSetError(
                f"{self.name}: {len(self.sources)} sources, {len(self.references)} references"
            )

    def __len__(self) -> int:
        return len(self.sources)

    def part(self, name: str) -> TestSet:
        """The part `name` alone, as a test set of one part."""
        start, end = self.parts[name]
        return TestSet(
            name, self.sources[start:end], self.references[start:end], {name: (0, end - start)}
        )


def read_tsv(path: Path) -> tuple[list[str], list[str]]:
    """Sources and references of a two-column TSV (`nmt.tsv.read_pairs`); TestSetError names a
    bad line."""
    try:
        return read_pairs(path)
    except TsvError as err:
        raise TestSetError(str(err)) from err


def from_tsv(path: Path) -> TestSet:
    """A user test set: one part named after the file."""
    sources, references = read_tsv(path)
    return TestSet(path.stem, sources, references, {path.stem: (0, len(sources))})


def from_files(source: Path, reference: Path) -> TestSet:
    """A user test set from line-aligned source and reference files."""
    texts = []
    for path in (source, reference):
        try:
            texts.append(path.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError) as err:
            raise TestSetError(f"cannot read {path}: {err}") from err
    if len(texts[0]) != len(texts[1]):
        raise TestSetError(
            f"{source} has {len(texts[0])} lines but {reference} has {len(texts[1])}"
        )
    return TestSet(source.stem, texts[0], texts[1], {source.stem: (0, len(texts[0]))})


SEEN_PARTS = ("ui",)  # parts whose lines are also scored by whether train holds the source


def from_corpus(corpus_dir: Path, split: str = "test") -> TestSet:
    """The `split` of a corpus folder; for `test`, cut into the manifest's test parts, with the
    `ui` part's seen/unseen groups when the corpus has its train.tsv."""
    sources, references = read_tsv(corpus_dir / f"{split}.tsv")
    parts = {split: (0, len(sources))}
    groups: dict[str, list[int]] = {}
    if split == "test":
        parts = _corpus_parts(corpus_dir / "manifest.json", len(sources)) or parts
        wanted = [name for name in SEEN_PARTS if name in parts]
        if wanted and (corpus_dir / "train.tsv").is_file():
            groups = seen_groups(sources, parts, wanted, train_sources(corpus_dir / "train.tsv"))
    return TestSet(f"{corpus_dir.name}/{split}", sources, references, parts, groups)


def train_sources(path: Path) -> set[str]:
    """The exact source sentences of a corpus's train.tsv (the first field of each line)."""
    with path.open(encoding="utf-8") as lines:
        return {line.split("\t", 1)[0] for line in lines}


def seen_groups(
    sources: list[str], parts: dict[str, tuple[int, int]], names: list[str], seen: set[str]
) -> dict[str, list[int]]:
    """`<part>/seen` and `<part>/unseen` line indices of each named part."""
    groups: dict[str, list[int]] = {}
    for name in names:
        start, end = parts[name]
        groups[f"{name}/seen"] = [i for i in range(start, end) if sources[i] in seen]
        groups[f"{name}/unseen"] = [i for i in range(start, end) if sources[i] not in seen]
    return groups


def _corpus_parts(manifest_path: Path, total: int) -> dict[str, tuple[int, int]]:
    try:
        counts = json.loads(manifest_path.read_text(encoding="utf-8")).get("test_parts") or {}
    except (OSError, json.JSONDecodeError):
        return {}
    if sum(counts.values()) != total:
        raise TestSetError(
            f"{manifest_path}: test_parts count {sum(counts.values())} lines, test.tsv has "
            f"{total}: the corpus folder is inconsistent"
        )
    parts, start = {}, 0
    for name, count in counts.items():
        parts[name] = (start, start + int(count))
        start += int(count)
    return parts
