"""The model bundle: what travels from training to serving. Write, read, verify.

A bundle is one folder:

```
encoder.onnx          source ids + lengths -> encoder outputs, mask, initial decoder state
decoder_step.onnx     previous tokens + state -> log-probabilities, attention, next state
sentencepiece.model   the joint tokenizer
MODEL_CARD.md         data, licences, intended use, scores, known limits
manifest.json         everything below, and sha256 + size of every other file
```

Layout choice: a bundle holds ONE pair of graphs under fixed names, and `quantization` in the
manifest says what they are (`int8-dynamic` by default, `int8-static`, or `fp32`). An fp32
bundle is a second folder written from the fp32 graphs: loaders never choose between variants
inside a bundle, and a bundle's checksums describe exactly what is served.

Manifest fields (`format_version` 1):
`format_version` (int), `pair` ("en-de"), `model` (a `ModelConfig` dict), `parameters` (int),
`vocab_size` (int, equal to the SentencePiece model's and to `model.vocab_size`), `special_ids`
({pad, unk, bos, eos}, equal to `nmt.tokenizer`'s), `corpus_manifest_sha256` (str or null),
`training` ({steps, time_s, ...}), `scores` (test scores with sacreBLEU signatures and bootstrap
intervals, free-form; `{}` before evaluation), `quantization`, `decoding` (optional
`DecodingConfig` dict: the settings chosen on the valid split, the Translator's default),
`created` (ISO 8601 UTC), `nmt_version`, `files` ({name: {sha256, bytes}}). Optional:
`preprocessing` (int, the `nmt.preprocessing` version the model was made for; absent = 1, a
bundle made before versions existed) and `glossary` (the name of a listed TSV file in the
bundle: the default glossary, see `nmt.glossary`).

Loading verifies before anything is used and refuses (`BundleError`, naming the problem) a
missing folder or manifest, unreadable JSON, an unknown or newer format version, a listed file
that is missing, truncated or altered, a vocabulary size that does not match the SentencePiece
model, and special ids that differ from `nmt.tokenizer`'s. This module only checks files: it
imports neither torch nor onnxruntime.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nmt import __version__
from nmt.atomic import swap_folder
from nmt.config import ConfigError, DecodingConfig, ModelConfig, from_dict, to_dict
from nmt.errors import NmtError
from nmt.hashing import sha256_file
from nmt.preprocessing import CURRENT, LEGACY, VERSIONS
from nmt.tokenizer import BOS_ID, EOS_ID, PAD_ID, UNK_ID, Tokenizer, TokenizerError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
ENCODER = "encoder.onnx"
DECODER = "decoder_step.onnx"
SPM_MODEL = "sentencepiece.model"
MODEL_CARD = "MODEL_CARD.md"
MANIFEST = "manifest.json"
GLOSSARY = "glossary.tsv"  # the optional default glossary
REQUIRED_FILES = (ENCODER, DECODER, SPM_MODEL, MODEL_CARD)
QUANTIZATIONS = ("int8-dynamic", "int8-static", "fp32")
SPECIAL_IDS: dict[str, int] = {"pad": PAD_ID, "unk": UNK_ID, "bos": BOS_ID, "eos": EOS_ID}
# Top-level manifest keys and their JSON types; `corpus_manifest_sha256` may also be null.
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "pair": str,
    "model": dict,
    "parameters": int,
    "vocab_size": int,
    "special_ids": dict,
    "corpus_manifest_sha256": (str, type(None)),
    "training": dict,
    "scores": dict,
    "quantization": str,
    "created": str,
    "files": dict,
}


class BundleError(NmtError, ValueError):
    """A bundle that cannot be used or written; the message names the bundle and the problem."""


@dataclasses.dataclass(frozen=True, slots=True)
class Bundle:
    """A verified bundle folder and its manifest (as read from `manifest.json`)."""

    path: Path
    manifest: Mapping[str, Any]

    @property
    def encoder_path(self) -> Path:
        return self.path / ENCODER

    @property
    def decoder_path(self) -> Path:
        return self.path / DECODER

    @property
    def spm_path(self) -> Path:
        return self.path / SPM_MODEL

    @property
    def pair(self) -> str:
        return str(self.manifest["pair"])

    @property
    def quantization(self) -> str:
        return str(self.manifest["quantization"])

    @property
    def vocab_size(self) -> int:
        return int(self.manifest["vocab_size"])

    @property
    def model_config(self) -> ModelConfig:
        return from_dict(ModelConfig, self.manifest["model"])

    @property
    def decoding(self) -> DecodingConfig | None:
        """The bundle's recommended decoding settings, if it records any."""
        raw = self.manifest.get("decoding")
        return from_dict(DecodingConfig, raw) if raw else None

    @property
    def preprocessing(self) -> int:
        """The preprocessing version recorded; 1 for a bundle made before versions existed."""
        return int(self.manifest.get("preprocessing", LEGACY))

    @property
    def glossary_path(self) -> Path | None:
        """The default glossary file, if the bundle lists one."""
        name = self.manifest.get("glossary")
        return self.path / str(name) if name else None

    @property
    def version(self) -> str:
        """A short content address: the first 12 hex digits of a sha256 over the files' sha256s.
        Two bundles with the same files have the same version, whatever their folder."""
        files = self.manifest["files"]
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(f"{name}:{files[name]['sha256']}\n".encode())
        return digest.hexdigest()[:12]


# --- writing -------------------------------------------------------------------------------------


def write_bundle(
    out_dir: Path,
    *,
    encoder: Path,
    decoder: Path,
    spm_model: Path,
    pair: str,
    model: ModelConfig,
    parameters: int,
    corpus_manifest_sha256: str | None,
    training: Mapping[str, Any],
    model_card_text: str,
    scores: Mapping[str, Any] | None = None,
    quantization: str = "int8-dynamic",
    decoding: DecodingConfig | None = None,
    created: str | None = None,
    preprocessing: int = CURRENT,
    glossary: Path | None = None,
) -> Bundle:
    """Write a bundle to `out_dir` atomically and return it, loaded (so verified) from there.

    `encoder`/`decoder` are the graph files to copy (the int8 or the fp32 ones, as
    `quantization` says); `spm_model` the SentencePiece model, whose vocabulary size must equal
    `model.vocab_size`. `training` holds at least `steps` and `time_s`. `scores` may be empty
    before evaluation. `created` defaults to now (UTC, ISO 8601). `preprocessing`: the version
    the model was made for (recorded). `glossary`: a TSV file copied in as the default glossary
    (`nmt.glossary`; read here, so a malformed one is refused before anything is written).

    Everything is written to a temporary folder next to `out_dir`, then renamed into place: a
    reader never sees half a bundle. An existing bundle at `out_dir` is replaced (moved aside,
    then deleted); an existing non-empty folder that holds no manifest is refused, so a wrong
    path cannot wipe unrelated files. Raises BundleError (bad arguments) or OSError.
    """
    _check_write_args(quantization, training, spm_model, model)
    if preprocessing not in VERSIONS:
        raise BundleError(f"preprocessing version {preprocessing} is not one of {VERSIONS}")
    if glossary is not None:
        from nmt.glossary import GlossaryError, load_glossary

        try:
            load_glossary(glossary)
        except GlossaryError as err:
            raise BundleError(str(err)) from err
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise BundleError(f"refusing to replace {out_dir}: it is not a bundle (no {MANIFEST})")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, source in ((ENCODER, encoder), (DECODER, decoder), (SPM_MODEL, spm_model)):
            shutil.copyfile(source, tmp / name)
        (tmp / MODEL_CARD).write_text(model_card_text, encoding="utf-8")
        listed = list(REQUIRED_FILES)
        if glossary is not None:
            shutil.copyfile(glossary, tmp / GLOSSARY)
            listed.append(GLOSSARY)
        manifest = {
            "format_version": FORMAT_VERSION,
            "pair": pair,
            "model": to_dict(model),
            "parameters": int(parameters),
            "vocab_size": model.vocab_size,
            "special_ids": dict(SPECIAL_IDS),
            "corpus_manifest_sha256": corpus_manifest_sha256,
            "training": dict(training),
            "scores": dict(scores or {}),
            "quantization": quantization,
            "decoding": to_dict(decoding) if decoding else None,
            "created": created or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "nmt_version": __version__,
            "preprocessing": preprocessing,
            **({"glossary": GLOSSARY} if glossary is not None else {}),
            "files": {name: _file_entry(tmp / name) for name in listed},
        }
        text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        (tmp / MANIFEST).write_text(text, encoding="utf-8")
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("wrote bundle %s (%s, %d parameters)", out_dir, quantization, parameters)
    return load_bundle(out_dir)


def update_bundle(
    path: Path,
    *,
    scores: Mapping[str, Any] | None = None,
    decoding: DecodingConfig | None = None,
    model_card_text: str | None = None,
) -> Bundle:
    """Rewrite the bundle at `path` with new scores, default decoding and/or model card (None
    keeps the current one); graphs, tokenizer, training info and `created` are kept. Verifies the
    bundle first (a damaged bundle is refused, not re-hashed into looking sound) and writes
    atomically like `write_bundle`."""
    old = load_bundle(path)
    manifest = old.manifest
    return write_bundle(
        old.path,
        encoder=old.encoder_path,
        decoder=old.decoder_path,
        spm_model=old.spm_path,
        pair=old.pair,
        model=old.model_config,
        parameters=int(manifest["parameters"]),
        corpus_manifest_sha256=manifest["corpus_manifest_sha256"],
        training=manifest["training"],
        model_card_text=(
            model_card_text
            if model_card_text is not None
            else (old.path / MODEL_CARD).read_text(encoding="utf-8")
        ),
        scores=manifest["scores"] if scores is None else scores,
        quantization=old.quantization,
        decoding=old.decoding if decoding is None else decoding,
        created=str(manifest["created"]),
        preprocessing=old.preprocessing,
        glossary=old.glossary_path,
    )


def _check_write_args(
    quantization: str, training: Mapping[str, Any], spm_model: Path, model: ModelConfig
) -> None:
    if quantization not in QUANTIZATIONS:
        raise BundleError(f"quantization {quantization!r} is not one of {QUANTIZATIONS}")
    missing = [key for key in ("steps", "time_s") if key not in training]
    if missing:
        raise BundleError(f"training info lacks {', '.join(missing)}")
    try:
        vocab = Tokenizer.load(Path(spm_model)).vocab_size
    except (OSError, TokenizerError) as err:
        raise BundleError(f"cannot use SentencePiece model {spm_model}: {err}") from err
    if vocab != model.vocab_size:
        raise BundleError(
            f"SentencePiece model {spm_model} has {vocab} pieces, model.vocab_size is "
            f"{model.vocab_size}"
        )


def _file_entry(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Make `tmp` the bundle `out_dir` at once (`nmt.atomic.swap_folder`)."""
    tmp.chmod(0o755)  # mkdtemp makes it 0700; a bundle is shared read-only data
    swap_folder(tmp, out_dir)


# --- reading and verifying -----------------------------------------------------------------------


def load_bundle(path: Path) -> Bundle:
    """Read and verify the bundle at `path`; raises BundleError naming every problem found."""
    path = Path(path)
    manifest, problems = _read_and_check(path)
    if problems or manifest is None:
        raise BundleError(f"bundle {path}: {'; '.join(problems)}")
    logger.debug("verified bundle %s (%s)", path, manifest["quantization"])
    return Bundle(path=path, manifest=manifest)


def verify(path: Path) -> list[str]:
    """The problems of the bundle at `path`, each one line; empty when it is sound."""
    return _read_and_check(Path(path))[1]


def _read_and_check(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The manifest (None if unusable) and the list of problems, in the order they matter: a
    problem that makes later checks meaningless (no manifest, bad version) stops there."""
    manifest, problem = _read_manifest(path)
    if manifest is None:
        return None, [problem]
    problems = _check_fields(manifest)
    if problems:
        return None, problems
    problems = _check_files(path, manifest["files"])
    if not problems:  # the SentencePiece model is intact: its contents can be checked
        problems = _check_vocabulary(path, manifest)
    return manifest, problems


def _read_manifest(path: Path) -> tuple[dict[str, Any] | None, str]:
    if not path.is_dir():
        return None, "no such folder"
    try:
        raw = (path / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"{MANIFEST} is missing"
    except (OSError, UnicodeDecodeError) as err:
        return None, f"cannot read {MANIFEST}: {err}"
    try:
        manifest = json.loads(raw)
    except json.JSONDecodeError as err:
        return None, f"{MANIFEST} is not valid JSON: {err}"
    if not isinstance(manifest, dict):
        return None, f"{MANIFEST} must hold a JSON object"
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return None, f"unknown format_version {version!r} (this nmt reads {FORMAT_VERSION})"
    if version > FORMAT_VERSION:
        return None, (
            f"format_version {version} is newer than this nmt reads ({FORMAT_VERSION}): upgrade nmt"
        )
    return manifest, ""


def _check_fields(manifest: Mapping[str, Any]) -> list[str]:
    """Presence and JSON types of the manifest's fields, and the configs they hold."""
    problems = []
    for key, kind in _FIELDS.items():
        if key not in manifest:
            problems.append(f"{MANIFEST} lacks {key!r}")
        elif not isinstance(manifest[key], kind) or isinstance(manifest[key], bool):
            problems.append(f"{MANIFEST}: {key!r} has the wrong type")
    if problems:
        return problems
    configs: list[tuple[str, type[Any]]] = [("model", ModelConfig)]
    if manifest.get("decoding"):
        configs.append(("decoding", DecodingConfig))
    for key, cls in configs:
        try:
            from_dict(cls, manifest[key], prefix=f"{key}.")
        except ConfigError as err:
            problems.append(f"{MANIFEST}: {err}")
    missing = [name for name in REQUIRED_FILES if name not in manifest["files"]]
    if missing:
        problems.append(f"{MANIFEST} does not list {', '.join(missing)}")
    version = manifest.get("preprocessing", LEGACY)
    if version not in VERSIONS or isinstance(version, bool):
        problems.append(f"{MANIFEST}: preprocessing version {version!r} is not one of {VERSIONS}")
    glossary = manifest.get("glossary")
    if glossary is not None and glossary not in manifest["files"]:
        problems.append(f"{MANIFEST}: the glossary {glossary!r} is not a listed file")
    return problems


def _check_files(path: Path, files: Mapping[str, Any]) -> list[str]:
    """Each listed file exists with the recorded size and sha256 (size first: it is free and it
    tells a truncated file from an altered one)."""
    problems = []
    for name, entry in files.items():
        if Path(name).name != name or name in (".", "..", MANIFEST):  # no path tricks
            problems.append(f"{MANIFEST} lists an invalid file name {name!r}")
            continue
        if not (isinstance(entry, dict) and "sha256" in entry and "bytes" in entry):
            problems.append(f"{MANIFEST}: the entry of {name} lacks sha256 or bytes")
            continue
        file = path / name
        if not file.is_file():
            problems.append(f"{name} is missing")
            continue
        size = file.stat().st_size
        if size != entry["bytes"]:
            kind = "truncated" if size < entry["bytes"] else "longer than recorded"
            problems.append(f"{name} is {kind}: {size} bytes, the manifest says {entry['bytes']}")
        elif sha256_file(file) != entry["sha256"]:
            problems.append(f"{name} is altered: its sha256 differs from the manifest's")
    return problems


def _check_vocabulary(path: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Vocabulary size and special ids: the manifest against the SentencePiece model and
    `nmt.tokenizer`, and the model config against the manifest."""
    problems = []
    if manifest["special_ids"] != SPECIAL_IDS:
        problems.append(
            f"special ids {manifest['special_ids']} differ from nmt.tokenizer's {SPECIAL_IDS}"
        )
    try:
        pieces = Tokenizer.load(path / SPM_MODEL).vocab_size
    except TokenizerError as err:  # also wrong special ids inside the model itself
        return [*problems, f"{SPM_MODEL}: {err}"]
    if pieces != manifest["vocab_size"]:
        problems.append(
            f"vocab_size {manifest['vocab_size']} does not match {SPM_MODEL} ({pieces} pieces)"
        )
    if manifest["model"].get("vocab_size") != manifest["vocab_size"]:
        problems.append(
            f"model.vocab_size {manifest['model'].get('vocab_size')} differs from vocab_size "
            f"{manifest['vocab_size']}"
        )
    return problems
