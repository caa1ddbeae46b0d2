"""MODEL_CARD.md of a bundle, rendered from its manifest and its corpus's manifest.

The card states where the data came from and under which licences, what the model is for, how
it scores (test scores with sacreBLEU signatures, once evaluated) and what it does badly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nmt.bundle import Manifest

# Licences read from the Debian packages' copyright files (Debian 12 "bookworm").
SOURCE_LICENCES: dict[str, str] = {
    "libreoffice-help": "MPL-2.0 (LibreOffice help, libreoffice-help-en-us / -de)",
    "libreoffice-ui": "MPL-2.0 (LibreOffice UI catalogs, libreoffice-l10n-de)",
    "gettext": "each package's own licence: mostly GPL-2+, GPL-3+, LGPL-2.1+/3+; "
    "PostgreSQL licence (postgresql), Apache-2.0 (subversion)",
    "package-descriptions": "Debian package descriptions and their DDTP German translations, "
    "under the licences of the described packages",
    "manpages": "GPL-3+ (manpages-de translations); English pages of manpages (GPL-2+ and "
    "others) and of the documented packages",
    "ding": "GPL-2+ (Ding dictionary, trans-de-en)",
    "debian-reference": "GPL-2+ (Debian Reference, debian-reference-en / -de)",
    "gnome-help": "each application's own (142 packages in the 2026-12 build; by their "
    "`debian/copyright` `Files: *` mostly GPL-2+/GPL-3+, while GNOME help pages often carry "
    "CC-BY-SA-3.0 in a paragraph of their own); per package in the corpus manifest's `licences`",
    "gnome-user-docs": "CC-BY-SA-3.0 (GNOME help; test only, never trained on)",
}


def render_model_card(manifest: Manifest, corpus: Mapping[str, Any] | None = None) -> str:
    """Markdown for `manifest` (a bundle's, `scores` possibly empty; its files, `created` and
    versions are not used, so a card can be rendered before the bundle is written) and `corpus`
    (the corpus folder's manifest.json, or None when unknown)."""
    sections = [
        _header(manifest),
        _data(corpus),
        _intended_use(manifest),
        _scores(manifest.scores),
        _limits(),
    ]
    return "\n\n".join(sections) + "\n"


def _header(manifest: Manifest) -> str:
    model = manifest.model
    training = manifest.training
    hours = float(training.get("time_s", 0)) / 3600
    return "\n".join(
        [
            f"# nmt {manifest.pair} model card",
            "",
            f"Bi-{model.cell.upper()} encoder ({model.enc_layers} layer(s), "
            f"{model.enc_hidden} per direction) + {model.cell.upper()} decoder "
            f"({model.dec_layers} layer(s), {model.dec_hidden}) with {model.attention} "
            f"attention{', input feeding' if model.input_feeding else ''}; joint "
            f"SentencePiece vocabulary of {model.vocab_size}; {manifest.parameters:,} "
            f"parameters. Graphs: {manifest.quantization} ONNX.",
            "",
            f"Trained {training.get('steps', '?')} steps ({hours:.2f} h, "
            f"in epoch {training.get('epoch', '?')}, precision {training.get('precision', '?')}) "
            f"on {training.get('hardware', 'CPU')}. Best valid BLEU (greedy, "
            f"{training.get('valid_sentences', '?')} valid sentences): "
            f"{training.get('best_valid_bleu', '?')}.",
        ]
    )


def _data(corpus: Mapping[str, Any] | None) -> str:
    lines = ["## Data and licences", ""]
    if not corpus:
        return "\n".join([*lines, "The corpus manifest was not available at export time."])
    lines += [
        "A parallel corpus built by `make data` from the translations that Debian packages ship "
        "(see the repository's corpus documentation). Pairs per source (train / valid / test):",
        "",
        "| source | train | valid | test | licence |",
        "|---|---:|---:|---:|---|",
    ]
    for name, info in corpus.get("sources", {}).items():
        split = info.get("per_split", {})
        lines.append(
            f"| {name} | {split.get('train', 0):,} | {split.get('valid', 0):,} | "
            f"{split.get('test', 0):,} | {SOURCE_LICENCES.get(name, 'see the package')} |"
        )
    lines += [
        "",
        "The weights are derived from these texts; whether and how their licences bind the "
        "weights is not settled. Keep this card with the model.",
    ]
    return "\n".join(lines)


def _intended_use(manifest: Manifest) -> str:
    src, tgt = manifest.pair.split("-", 1)
    return "\n".join(
        [
            "## Intended use",
            "",
            f"Offline {src} -> {tgt} machine translation of software-localization text: UI "
            "strings, messages with placeholders, help pages and documentation, as a first draft "
            "for a human translator (file translation marks its output fuzzy / needs-review). "
            "Not for legal, medical or safety-critical text, and not for publication unreviewed.",
        ]
    )


def _scores(scores: Mapping[str, Any]) -> str:
    lines = ["## Scores", ""]
    test = scores.get("test")
    if not test:
        return "\n".join([*lines, "Not evaluated yet (`nmt evaluate --record`)."])
    lines += [
        f"Test split of the corpus, decoding: {test.get('decoding', '?')}; sacreBLEU, 95% "
        "bootstrap intervals (± half-width).",
        "",
        "| part | sentences | BLEU | chrF | TER | BLEU (lowercased) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for part, row in test.get("parts", {}).items():
        cells = [
            f"{row[m]['score']:.2f} ± {row[m]['ci']:.2f}"
            for m in ("bleu", "chrf", "ter", "bleu_lc")
        ]
        lines.append(f"| {part} | {row.get('sentences', '?')} | {' | '.join(cells)} |")
    first = next(iter(test.get("parts", {}).values()), None)
    if first:
        lines += ["", "Signatures:", ""]
        lines += [f"- {m}: `{first[m]['signature']}`" for m in ("bleu", "chrf", "ter", "bleu_lc")]
    return "\n".join(lines)


def _limits() -> str:
    return "\n".join(
        [
            "## Known limits",
            "",
            "- Domain: trained on software text (UI strings, help, manuals, package descriptions); "
            "news, conversation or literature come out far worse.",
            "- Register: the sources mix formal (Sie) and informal (du) German, so one output may "
            "use either, and a document may not be consistent.",
            "- Terminology follows the training projects (LibreOffice, GNOME, Debian), which do "
            "not always agree with each other or with a user's glossary; pass do-not-translate "
            "terms.",
            "- A small RNN trained for about an hour and a half on 2 CPU cores: long sentences "
            "(over ~40 words) lose content, rare words may be dropped or spelled out in pieces, "
            "and single dictionary words (the Ding test part) score low.",
            "- int8 graphs: a few sentences translate differently depending on which other "
            "sentences share their batch (dynamic activation scales); fp32 bundles do not.",
        ]
    )
