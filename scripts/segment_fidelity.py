"""Issue 14's measurements on the built corpus: a word alone vs wrapped.

The words: UI strings of the corpus's `ui` test part (the last `test_parts["ui"]` lines of
test.tsv) that are one word (all of them) or two words (the first by source order, up to
`--words`), each with its human reference. Wrappers: `[w]`, `(w)`, `"w"`, `„w“`, `»w«`,
`<b>w</b>`, `%s w`, `w:`, `w…`.

`tokens`: how each candidate mechanism tokenizes a word in its wrappers, with a SentencePiece
model (default: the shipped bundle's): the share of wrapped words whose pieces are exactly the
pieces of the word alone, and the pieces of all wrapped texts together (sequence length). A
mark is counted as the one piece it is in a tokenizer trained with it (`nmt.boundaries.GLUE` is
a user-defined piece there; the shipped tokenizer lacks it).

`tokenizers`: the same measurement with three tokenizers trained here on one seeded sample of
the train split (both sides, masked with version 2, `--sample` pairs, vocabulary 8000): the
default options on unmarked text; SentencePiece's `treat_whitespace_as_suffix` (the word-end
mark instead of the word-start one), on unmarked text; and the default options with the marks
(`GLUE` a piece, the text marked).

`wrapped`: translate every word alone and in each wrapper with a bundle: the share of wrapped
translations whose inner text equals the standalone translation (wrapper characters removed
on both sides), and the standalone translations' exact-match accuracy against the references
(case-insensitive), counted over words whose reference differs from the source so that copying
cannot score.

    .venv/bin/python scripts/segment_fidelity.py tokens  [--spm models/en-de/sentencepiece.model]
    .venv/bin/python scripts/segment_fidelity.py tokenizers [--sample 100000]
    .venv/bin/python scripts/segment_fidelity.py wrapped --bundle models/en-de [--preprocessing 2]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from nmt.boundaries import GLUE, mark
from nmt.paths import data_dir
from nmt.protect import protect
from nmt.tokenizer import Tokenizer

WRAPPERS: tuple[tuple[str, str], ...] = (
    ("[", "]"),
    ("(", ")"),
    ('"', '"'),
    ("„", "“"),
    ("»", "«"),
    ("<b>", "</b>"),
    ("%s ", ""),
    ("", ":"),
    ("", "…"),
)
_WRAPPER_TEXT = re.compile(r"</?b>|%s|[\[\]()\"„“”»«:…]")
_ONE_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
_TWO_WORDS = re.compile(r"[A-Za-z][A-Za-z-]* [A-Za-z][A-Za-z-]*")


def ui_words(corpus: Path, count: int) -> list[tuple[str, str]]:
    """(source, reference) of one-word UI strings, then two-word ones up to `count`."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    lines = (corpus / "test.tsv").read_text(encoding="utf-8").splitlines()
    ui = lines[len(lines) - int(manifest["test_parts"]["ui"]) :]
    pairs: dict[str, str] = {}
    for line in ui:
        source, _, target = line.partition("\t")
        if target and source not in pairs and _ONE_WORD.fullmatch(source):
            pairs[source] = target
    two = {}
    for line in ui:
        source, _, target = line.partition("\t")
        if target and source not in pairs and _TWO_WORDS.fullmatch(source):
            two.setdefault(source, target)
    for source in sorted(two)[: max(0, count - len(pairs))]:
        pairs[source] = two[source]
    return sorted(pairs.items())


def _contains(pieces: list[str], part: list[str]) -> bool:
    n = len(part)
    return any(pieces[i : i + n] == part for i in range(len(pieces) - n + 1))


def tokens(args: argparse.Namespace) -> dict[str, object]:
    tok = Tokenizer.load(args.spm)
    words = [w for w, _ in ui_words(args.corpus, args.words)]
    alone = tok.encode_pieces([protect(w, version=2).text for w in words])
    result: dict[str, object] = {"words": len(words), "wrapped": len(words) * len(WRAPPERS)}
    for name in ("none", "marks"):
        same = total = 0
        for word, pieces in zip(words, alone, strict=True):
            texts = [protect(a + word + b, version=2).text for a, b in WRAPPERS]
            if name == "marks":
                texts = [mark(t) for t in texts]
            marks = sum(t.count(GLUE) for t in texts)
            # the shipped tokenizer lacks GLUE: encode without it, count each mark as one piece
            encoded = tok.encode_pieces([t.replace(GLUE, "") for t in texts])
            same += sum(_contains(p, pieces) for p in encoded)
            total += sum(len(p) for p in encoded) + marks
        result[name] = {"same_pieces": same, "pieces": total}
    return result


def _measure(tok: Tokenizer, words: list[str], marked: bool) -> dict[str, int]:
    """Same-pieces count and total pieces of the wrapped words with `tok` (GLUE a piece)."""
    alone = tok.encode_pieces([protect(w, version=2).text for w in words])
    same = total = 0
    for word, pieces in zip(words, alone, strict=True):
        texts = [protect(a + word + b, version=2).text for a, b in WRAPPERS]
        encoded = tok.encode_pieces([mark(t) if marked else t for t in texts])
        same += sum(_contains(e, pieces) for e in encoded)  # exact pieces: the same ids
        total += sum(len(e) for e in encoded)
    return {"same_pieces": same, "pieces": total}


def tokenizers(args: argparse.Namespace) -> dict[str, object]:
    import random
    import tempfile

    from nmt.protect import RESERVED_SYMBOLS, mask_pair
    from nmt.tokenizer import train_tokenizer

    lines = (args.corpus / "train.tsv").read_text(encoding="utf-8").splitlines()
    sample = random.Random(14).sample(lines, min(args.sample, len(lines)))
    plain: list[str] = []
    for line in sample:
        source, _, target = line.partition("\t")
        pair = mask_pair(source, target, version=2)
        plain += [pair.source, pair.target]
    words = [w for w, _ in ui_words(args.corpus, args.words)]
    result: dict[str, object] = {"words": len(words), "sample_pairs": len(sample)}
    variants = (
        ("default", plain, {}, False),
        ("treat_whitespace_as_suffix", plain, {"treat_whitespace_as_suffix": True}, False),
        ("marks", [mark(t) for t in plain], {}, True),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, sentences, options, marked in variants:
            path = Path(tmp) / f"{name}.model"
            if options:  # an option train_tokenizer does not expose: SentencePiece directly
                import sentencepiece as spm

                spm.SentencePieceTrainer.Train(
                    sentence_iterator=iter(sentences),
                    model_prefix=str(path.with_suffix("")),
                    vocab_size=8000,
                    character_coverage=1.0,
                    byte_fallback=True,
                    normalization_rule_name="identity",
                    user_defined_symbols=[*RESERVED_SYMBOLS, GLUE],
                    pad_id=0,
                    unk_id=1,
                    bos_id=2,
                    eos_id=3,
                    num_threads=1,
                    minloglevel=2,
                    **options,
                )
                tok = Tokenizer.load(path)
            else:
                tok = train_tokenizer(sentences, path, vocab_size=8000)
            result[name] = _measure(tok, words, marked)
    return result


def wrapped(args: argparse.Namespace) -> dict[str, object]:
    from nmt.translator import Translator

    translator = Translator.load(args.bundle, preprocessing=args.preprocessing)
    pairs = ui_words(args.corpus, args.words)
    texts = [a + w + b for w, _ in pairs for a, b in (("", ""), *WRAPPERS)]
    outputs = [t.text for t in translator.translate(texts, beam_size=args.beam)]
    k = len(WRAPPERS) + 1
    same = correct = scored = 0
    per_wrapper = [0] * len(WRAPPERS)
    examples = []
    for i, (word, ref) in enumerate(pairs):
        row = outputs[i * k : (i + 1) * k]
        inner = _WRAPPER_TEXT.sub("", row[0]).strip()
        for j, out in enumerate(row[1:]):
            ok = _WRAPPER_TEXT.sub("", out).strip() == inner
            same += ok
            per_wrapper[j] += ok
            if not ok and len(examples) < 12:
                examples.append([texts[i * k + j + 1], out, row[0]])
        if ref.strip().casefold() != word.casefold():
            scored += 1
            correct += row[0].strip().rstrip(".").casefold() == ref.strip().rstrip(".").casefold()
    n = len(pairs) * len(WRAPPERS)
    return {
        "bundle": str(args.bundle),
        "preprocessing": translator.preprocessing.version,
        "words": len(pairs),
        "wrapped_equal_standalone": f"{same}/{n} = {100 * same / n:.1f}%",
        "per_wrapper": {a + "w" + b: per_wrapper[j] for j, (a, b) in enumerate(WRAPPERS)},
        "standalone_exact_match": f"{correct}/{scored} = {100 * correct / max(scored, 1):.1f}%",
        "examples_that_differ": examples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("tokens", "tokenizers", "wrapped"))
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, default=data_dir("en-de"))
    parser.add_argument("--words", type=int, default=320)
    parser.add_argument("--spm", type=Path, default=Path("models/en-de/sentencepiece.model"))
    parser.add_argument("--bundle", type=Path, default=Path("models/en-de"))
    parser.add_argument("--preprocessing", type=int)
    parser.add_argument("--beam", type=int, default=5)
    args = parser.parse_args()
    commands = {"tokens": tokens, "tokenizers": tokenizers, "wrapped": wrapped}
    result = commands[args.what](args)
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
