"""The corpus layout that later stages rely on.

    DIR/dataset/        HF DatasetDict (train, valid, test; columns source, target, origin)
    DIR/{train,valid,test}.tsv   source TAB target, one pair a line
    DIR/manifest.json   counts, sha256 of every split file, sources, filters, skips

Files are written into a temporary sibling folder and swapped in at the end, so an interrupted
build never leaves a half-written corpus behind.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nmt.atomic import swap_folder
from nmt.corpus.types import RawPair
from nmt.hashing import sha256_file

logger = logging.getLogger(__name__)

SPLITS = ("train", "valid", "test")


def write_tsv(path: Path, pairs: Sequence[RawPair]) -> str:
    """Write `source TAB target` lines; returns the file's sha256."""
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for pair in pairs:
            if "\t" in pair.source + pair.target or "\n" in pair.source + pair.target:
                raise ValueError(f"TAB or newline inside a field from {pair.origin}")
            fh.write(f"{pair.source}\t{pair.target}\n")
    return sha256_file(path)


def write_dataset(path: Path, splits: Mapping[str, Sequence[RawPair]]) -> None:
    """Save the splits as a DatasetDict (imported here: only corpus building needs datasets)."""
    from datasets import Dataset, DatasetDict

    dsd = DatasetDict(
        {
            name: Dataset.from_dict(
                {
                    "source": [p.source for p in pairs],
                    "target": [p.target for p in pairs],
                    "origin": [p.origin for p in pairs],
                }
            )
            for name, pairs in splits.items()
        }
    )
    dsd.save_to_disk(str(path))


def write_corpus(
    out: Path, splits: Mapping[str, Sequence[RawPair]], manifest: dict[str, Any]
) -> dict[str, Any]:
    """Write the whole layout to `out` atomically; fills `manifest["splits"]` and returns it."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    manifest["splits"] = {
        name: {"count": len(splits[name]), "sha256": write_tsv(tmp / f"{name}.tsv", splits[name])}
        for name in SPLITS
    }
    write_dataset(tmp / "dataset", {name: splits[name] for name in SPLITS})
    (tmp / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    swap_folder(tmp, out)
    logger.info("corpus written to %s", out)
    return manifest


def read_manifest(corpus_dir: Path) -> dict[str, Any]:
    path = corpus_dir / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable corpus manifest ({err})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a corpus manifest")
    return data
