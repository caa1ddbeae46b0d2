"""A generated toy "English -> German" corpus: word-for-word with a verb-final reordering and
placeholders, learnable by a tiny model in a few hundred steps. No downloaded text."""

from __future__ import annotations

import random
from pathlib import Path

LEXICON = {
    "the": "die",
    "red": "rote",
    "green": "grüne",
    "big": "große",
    "small": "kleine",
    "file": "Datei",
    "window": "Fenster",
    "folder": "Ordner",
    "menu": "Menü",
    "list": "Liste",
    "opens": "öffnet",
    "closes": "schließt",
    "saves": "speichert",
    "shows": "zeigt",
    "user": "Benutzer",
    "program": "Programm",
    "now": "jetzt",
    "again": "wieder",
}
SUBJECTS = ["user", "program"]
ADJ = ["red", "green", "big", "small"]
NOUNS = ["file", "window", "folder", "menu", "list"]
VERBS = ["opens", "closes", "saves", "shows"]
ADV = ["now", "again"]
SLOTS = ["%s", "%d", "{0}", "<b>x</b>"]


def pair(rng: random.Random) -> tuple[str, str]:
    """'the user opens the red file now %s.' -> 'die Benutzer jetzt die rote Datei öffnet %s.'"""
    subj, verb = rng.choice(SUBJECTS), rng.choice(VERBS)
    obj = [rng.choice(ADJ)] * rng.randint(0, 1) + [rng.choice(NOUNS)]
    adv = [rng.choice(ADV)] * rng.randint(0, 1)
    slot = [rng.choice(SLOTS)] * (rng.random() < 0.3)
    en = ["the", subj, verb, "the", *obj, *adv, *slot]
    de_words = ["the", subj, *adv, "the", *obj, verb]
    de = [LEXICON[w] for w in de_words] + slot
    return " ".join(en) + ".", " ".join(de) + "."


def write_corpus_tsv(path: Path, n: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    lines = {"\t".join(pair(rng)) for _ in range(n)}
    path.write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    return path


def import_corpus(root: Path) -> Path:
    """The generated corpus imported into the corpus layout (`nmt data import`) under `root`,
    with small test and valid splits; returns the corpus folder."""
    from nmt.cli import main

    tsv = write_corpus_tsv(root / "syn.tsv", 20000)
    data_cfg = root / "data.yaml"
    data_cfg.write_text("split:\n  test_size: 100\n  valid_size: 100\n  valid_tolerance: 10\n")
    out = root / "corpus"
    assert main(["data", "import", str(tsv), "--out", str(out), "--config", str(data_cfg)]) == 0
    return out
