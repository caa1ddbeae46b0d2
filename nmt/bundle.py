"""The model bundle: what travels from training to serving. Write, read, verify.

A bundle is one folder:

```
encoder.onnx          source ids + lengths -> encoder outputs, mask, initial decoder state
decoder_step.onnx     previous tokens + state -> log-probabilities, attention, next state
sentencepiece.model   the joint tokenizer
MODEL_CARD.md         data, licences, intended use, scores, known limits
manifest.json         a `Manifest`: everything below, and sha256 + size of every other file
```

Layout choice: a bundle holds ONE pair of graphs under fixed names, and `quantization` in the
manifest says what they are (`int8-dynamic` by default, `int8-static`, or `fp32`). An fp32
bundle is a second folder written from the fp32 graphs: loaders never choose between variants
inside a bundle, and a bundle's checksums describe exactly what is served.

Manifest fields (`format_version` 1), in the order `manifest.json` holds them:
`format_version` (int), `pair` ("en-de"), `model` (a `ModelConfig` dict), `parameters` (int),
`vocab_size` (int, equal to the SentencePiece model's and to `model.vocab_size`), `special_ids`
({pad, unk, bos, eos}, equal to `nmt.tokenizer`'s), `corpus_manifest_sha256` (str or null),
`training` ({steps, time_s, ...}), `scores` (test scores with sacreBLEU signatures and bootstrap
intervals, free-form; `{}` before evaluation), `quantization`, `decoding` (optional
`DecodingConfig` dict: the settings chosen on the valid split, the Translator's default),
`created` (ISO 8601 UTC), `nmt_version`, `files` ({name: {sha256, bytes}}). Optional (written
only when set): `preprocessing` (int, the `nmt.preprocessing` version the model was made for;
absent = 1, a bundle made before versions existed) and `glossary` (the name of a listed TSV file
in the bundle: the default glossary, see `nmt.glossary`). `Manifest` is this list as one typed
object; `vocab_size` and `special_ids` are derived (from `model` and
`nmt.tokenizer`), written for other readers and checked when read.

Loading verifies before anything is used and refuses (`BundleError`, naming the problem) a
missing folder or manifest, unreadable JSON, an unknown or newer format version, an unknown
manifest field, a listed file that is missing, truncated or altered, a vocabulary size that does
not match the SentencePiece model, and special ids that differ from `nmt.tokenizer`'s. This
module only checks files: it imports neither torch nor onnxruntime.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import shutil
import tempfile
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from nmt import __version__
from nmt.atomic import swap_folder
from nmt.config import ConfigError, DecodingConfig, ModelConfig, from_dict, to_dict
from nmt.errors import NmtError
from nmt.hashing import sha256_file
from nmt.preprocessing import LEGACY, VERSIONS
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
# `metadata` of a manifest field added after format 1's: absent from a manifest means its
# default, and it is written only when it differs from it (see `Manifest`).
OPTIONAL: Mapping[str, bool] = types.MappingProxyType({"optional": True})


class BundleError(NmtError, ValueError):
    """A bundle that cannot be used or written; the message names the bundle and the problem."""


class ManifestError(BundleError):
    """A manifest that cannot be read or built: `problems` holds each problem, one line each;
    the message is all of them, joined with "; "."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclasses.dataclass(frozen=True, slots=True)
class FileEntry:
    """What the manifest records of one file of the bundle."""

    sha256: str
    bytes: int

    @classmethod
    def of(cls, path: Path) -> FileEntry:
        """The entry of the file at `path` as it is now."""
        return cls(sha256=sha256_file(path), bytes=path.stat().st_size)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """A bundle's `manifest.json` as one typed, validated object.

    Build one with the fields a writer knows (`write_bundle` fills in `format_version`,
    `created` when None, `nmt_version` and `files`), or read one with `read`/`from_json`.
    Construction validates what a manifest alone can say (`quantization` is one of
    QUANTIZATIONS, `training` has `steps` and `time_s`; `model` and `decoding` validated
    themselves) and raises ManifestError otherwise; reading also checks the JSON types, the
    derived fields and that every required file is listed. `to_json` writes exactly what
    format 1 always wrote, so a bundle read and written again has a byte-identical manifest.

    Unknown fields are refused when read (ManifestError naming them): a manifest written by a
    newer nmt may carry a field this one would misread or drop (e.g. a file it does not copy), so
    it asks for an upgrade instead of guessing, as it does for a newer `format_version`.

    Adding a field: declare it here with a default and `metadata=OPTIONAL`, typed with JSON
    types (str, int, float, bool, None, a Mapping) or a config dataclass; reading checks its
    type from the annotation, a manifest without it reads as the default, and it is written
    only when set, so the bundles without it keep their manifests byte for byte.
    """

    format_version: int = FORMAT_VERSION
    pair: str
    model: ModelConfig
    parameters: int
    # `vocab_size` and `special_ids` follow here in the JSON (derived: see `to_dict`).
    corpus_manifest_sha256: str | None
    training: Mapping[str, Any]
    scores: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    quantization: str = "int8-dynamic"
    decoding: DecodingConfig | None = None
    created: str | None = None  # None: the moment `write_bundle` writes it
    nmt_version: str | None = None  # set by `write_bundle`
    preprocessing: int = dataclasses.field(default=LEGACY, metadata=OPTIONAL)
    glossary: str | None = dataclasses.field(default=None, metadata=OPTIONAL)
    files: Mapping[str, FileEntry] = dataclasses.field(default_factory=dict)

    # Derived fields: written after `parameters`, checked against their sources when read.
    DERIVED: ClassVar[tuple[str, ...]] = ("vocab_size", "special_ids")

    def __post_init__(self) -> None:
        # Private copies: a caller's dict changed later does not change the manifest.
        object.__setattr__(self, "training", dict(self.training))
        object.__setattr__(self, "scores", dict(self.scores))
        object.__setattr__(self, "files", dict(self.files))
        problems = []
        if self.quantization not in QUANTIZATIONS:
            problems.append(f"quantization {self.quantization!r} is not one of {QUANTIZATIONS}")
        missing = [key for key in ("steps", "time_s") if key not in self.training]
        if missing:
            problems.append(f"training info lacks {', '.join(missing)}")
        if self.preprocessing not in VERSIONS or isinstance(self.preprocessing, bool):
            problems.append(
                f"preprocessing version {self.preprocessing!r} is not one of {VERSIONS}"
            )
        if self.glossary is not None and self.files and self.glossary not in self.files:
            problems.append(f"the glossary {self.glossary!r} is not a listed file")
        if problems:
            raise ManifestError(problems)

    @property
    def vocab_size(self) -> int:
        return self.model.vocab_size

    # --- writing ---

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, in format 1's field order; OPTIONAL fields at their default are
        left out."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.metadata.get("optional") and value == _default(field):
                continue
            out[field.name] = _plain(value)
            if field.name == "parameters":
                out["vocab_size"] = self.vocab_size
                out["special_ids"] = dict(SPECIAL_IDS)
        return out

    def to_json(self) -> str:
        """The text of `manifest.json` (two-space indent, UTF-8 as is, a final newline)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    def write(self, folder: Path) -> None:
        """Write `folder/manifest.json` (not atomically: `write_bundle` writes a whole folder
        and swaps it into place)."""
        (Path(folder) / MANIFEST).write_text(self.to_json(), encoding="utf-8")

    # --- reading ---

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest of the bundle folder `folder`; raises ManifestError (no such folder,
        no or unreadable manifest, or what `from_json` refuses)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ManifestError(["no such folder"])
        try:
            text = (folder / MANIFEST).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ManifestError([f"{MANIFEST} is missing"]) from None
        except (OSError, UnicodeDecodeError) as err:
            raise ManifestError([f"cannot read {MANIFEST}: {err}"]) from None
        return cls.from_json(text)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse and validate the text of a manifest; raises ManifestError with every problem
        found (a bad JSON or format version stops there: nothing after it can be trusted)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ManifestError([f"{MANIFEST} is not valid JSON: {err}"]) from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """Validate a parsed manifest into a Manifest; see `from_json`."""
        if not isinstance(data, dict):
            raise ManifestError([f"{MANIFEST} must hold a JSON object"])
        _check_format_version(data.get("format_version"))
        fields = {field.name: field for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields) - set(cls.DERIVED))
        problems = []
        if unknown:
            problems.append(
                f"{MANIFEST} has unknown field(s) {', '.join(map(repr, unknown))}: written by a "
                "newer nmt? upgrade nmt"
            )
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for name, field in fields.items():
            if name not in data:
                if not field.metadata.get("optional"):
                    problems.append(f"{MANIFEST} lacks {name!r}")
                continue
            if not _is_json_of(data[name], hints[name]):
                problems.append(f"{MANIFEST}: {name!r} has the wrong type")
                continue
            if name == "files":
                values[name], wrong = _file_entries(data[name])
                problems += wrong
                continue
            try:
                values[name] = _typed(name, data[name], hints[name])
            except ConfigError as err:
                problems.append(f"{MANIFEST}: {err}")
        problems += _check_derived(data, values.get("model"))
        problems += _check_listed(values.get("files"))
        if problems:
            raise ManifestError(problems)
        return cls(**values)


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def _plain(value: Any) -> Any:
    """A field's value as JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _check_format_version(version: Any) -> None:
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ManifestError(
            [f"unknown format_version {version!r} (this nmt reads {FORMAT_VERSION})"]
        )
    if version > FORMAT_VERSION:
        newer = f"format_version {version} is newer than this nmt reads ({FORMAT_VERSION})"
        raise ManifestError([f"{newer}: upgrade nmt"])


def _is_json_of(value: Any, hint: Any) -> bool:
    """Whether the JSON value `value` can be a field annotated `hint`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_is_json_of(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    kind = origin or hint
    if kind is Mapping or dataclasses.is_dataclass(kind):
        return isinstance(value, dict)
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(kind, type) and isinstance(value, kind)


def _typed(name: str, value: Any, hint: Any) -> Any:
    """A field's JSON value as its typed value: a config dataclass is built (and so validated),
    the rest is kept as is."""
    if value is None:
        return None
    kinds = [arg for arg in typing.get_args(hint) if arg is not type(None)] or [hint]
    config = next((k for k in kinds if dataclasses.is_dataclass(k) and isinstance(k, type)), None)
    if config is not None:
        return from_dict(config, value, prefix=f"{name}.")
    return value


def _file_entries(files: Mapping[str, Any]) -> tuple[dict[str, FileEntry], list[str]]:
    """The `files` entries that are sound, and a problem for each one that is not."""
    entries, problems = {}, []
    for name, entry in files.items():
        if Path(name).name != name or name in (".", "..", MANIFEST):  # no path tricks
            problems.append(f"{MANIFEST} lists an invalid file name {name!r}")
        elif not (
            isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("bytes"), int)
            and not isinstance(entry.get("bytes"), bool)
        ):
            problems.append(f"{MANIFEST}: the entry of {name} lacks sha256 or bytes")
        else:
            entries[name] = FileEntry(sha256=entry["sha256"], bytes=entry["bytes"])
    return entries, problems


def _check_derived(data: Mapping[str, Any], model: ModelConfig | None) -> list[str]:
    """`vocab_size` and `special_ids` as the manifest holds them, against their sources."""
    problems = []
    special = data.get("special_ids")
    if "special_ids" not in data:
        problems.append(f"{MANIFEST} lacks 'special_ids'")
    elif special != SPECIAL_IDS:
        problems.append(f"special ids {special} differ from nmt.tokenizer's {SPECIAL_IDS}")
    vocab = data.get("vocab_size")
    if "vocab_size" not in data:
        problems.append(f"{MANIFEST} lacks 'vocab_size'")
    elif not isinstance(vocab, int) or isinstance(vocab, bool):
        problems.append(f"{MANIFEST}: 'vocab_size' has the wrong type")
    elif model is not None and model.vocab_size != vocab:
        problems.append(f"model.vocab_size {model.vocab_size} differs from vocab_size {vocab}")
    return problems


def _check_listed(files: Mapping[str, FileEntry] | None) -> list[str]:
    missing = [name for name in REQUIRED_FILES if files is not None and name not in files]
    return [f"{MANIFEST} does not list {', '.join(missing)}"] if missing else []


@dataclasses.dataclass(frozen=True, slots=True)
class Bundle:
    """A verified bundle folder and its manifest."""

    path: Path
    manifest: Manifest

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
    def model_card_path(self) -> Path:
        return self.path / MODEL_CARD

    @property
    def pair(self) -> str:
        return self.manifest.pair

    @property
    def quantization(self) -> str:
        return self.manifest.quantization

    @property
    def vocab_size(self) -> int:
        return self.manifest.vocab_size

    @property
    def model_config(self) -> ModelConfig:
        return self.manifest.model

    @property
    def decoding(self) -> DecodingConfig | None:
        """The bundle's recommended decoding settings, if it records any."""
        return self.manifest.decoding

    @property
    def preprocessing(self) -> int:
        """The preprocessing version recorded; 1 for a bundle made before versions existed."""
        return self.manifest.preprocessing

    @property
    def glossary_path(self) -> Path | None:
        """The default glossary file, if the bundle lists one."""
        return self.path / self.manifest.glossary if self.manifest.glossary else None

    @property
    def version(self) -> str:
        """A short content address: the first 12 hex digits of a sha256 over the files' sha256s.
        Two bundles with the same files have the same version, whatever their folder."""
        files = self.manifest.files
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(f"{name}:{files[name].sha256}\n".encode())
        return digest.hexdigest()[:12]


# --- writing -------------------------------------------------------------------------------------


def write_bundle(
    out_dir: Path,
    manifest: Manifest,
    *,
    encoder: Path,
    decoder: Path,
    spm_model: Path,
    model_card_text: str,
    glossary: Path | None = None,
) -> Bundle:
    """Write a bundle to `out_dir` atomically and return it, loaded (so verified) from there.

    `manifest` says what the bundle is; this sets its `format_version`, `nmt_version`, `files`
    (from the files written) and, when None, `created` (now, UTC, ISO 8601). `encoder`/`decoder`
    are the graph files to copy (the int8 or the fp32 ones, as `manifest.quantization` says);
    `spm_model` the SentencePiece model, whose vocabulary size must equal
    `manifest.model.vocab_size`. `glossary`: a TSV file copied in as the default glossary
    (`nmt.glossary`; read here, so a malformed one is refused before anything is written); the
    manifest's `glossary` field is set from it (None: the bundle has none).

    Everything is written to a temporary folder next to `out_dir`, then renamed into place: a
    reader never sees half a bundle. An existing bundle at `out_dir` is replaced (moved aside,
    then deleted); an existing non-empty folder that holds no manifest is refused, so a wrong
    path cannot wipe unrelated files. Raises BundleError (a tokenizer that does not fit) or
    OSError.
    """
    _check_tokenizer(spm_model, manifest.model)
    if glossary is not None:
        _check_glossary(glossary)
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
        dataclasses.replace(
            manifest,
            format_version=FORMAT_VERSION,
            created=manifest.created or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            nmt_version=__version__,
            glossary=GLOSSARY if glossary is not None else None,
            files={name: FileEntry.of(tmp / name) for name in listed},
        ).write(tmp)
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info(
        "wrote bundle %s (%s, %d parameters)", out_dir, manifest.quantization, manifest.parameters
    )
    return load_bundle(out_dir)


def update_bundle(
    path: Path,
    *,
    scores: Mapping[str, Any] | None = None,
    decoding: DecodingConfig | None = None,
    model_card_text: str | None = None,
) -> Bundle:
    """Rewrite the bundle at `path` with new scores, default decoding and/or model card (None
    keeps the current one); graphs, tokenizer, the rest of the manifest and `created` are kept.
    Verifies the bundle first (a damaged bundle is refused, not re-hashed into looking sound)
    and writes atomically like `write_bundle`."""
    old = load_bundle(path)
    manifest = dataclasses.replace(
        old.manifest,
        scores=old.manifest.scores if scores is None else scores,
        decoding=old.decoding if decoding is None else decoding,
    )
    return write_bundle(
        old.path,
        manifest,
        encoder=old.encoder_path,
        decoder=old.decoder_path,
        spm_model=old.spm_path,
        model_card_text=(
            model_card_text
            if model_card_text is not None
            else old.model_card_path.read_text(encoding="utf-8")
        ),
        glossary=old.glossary_path,
    )


def _check_glossary(path: Path) -> None:
    from nmt.glossary import GlossaryError, load_glossary

    try:
        load_glossary(path)
    except GlossaryError as err:
        raise BundleError(str(err)) from err


def _check_tokenizer(spm_model: Path, model: ModelConfig) -> None:
    try:
        vocab = Tokenizer.load(Path(spm_model)).vocab_size
    except (OSError, TokenizerError) as err:
        raise BundleError(f"cannot use SentencePiece model {spm_model}: {err}") from err
    if vocab != model.vocab_size:
        raise BundleError(
            f"SentencePiece model {spm_model} has {vocab} pieces, model.vocab_size is "
            f"{model.vocab_size}"
        )


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
    logger.debug("verified bundle %s (%s)", path, manifest.quantization)
    return Bundle(path=path, manifest=manifest)


def verify(path: Path) -> list[str]:
    """The problems of the bundle at `path`, each one line; empty when it is sound."""
    return _read_and_check(Path(path))[1]


def _read_and_check(path: Path) -> tuple[Manifest | None, list[str]]:
    """The manifest (None if unusable) and the list of problems, in the order they matter: a
    problem that makes later checks meaningless (no manifest, bad version) stops there."""
    try:
        manifest = Manifest.read(path)
    except ManifestError as err:
        return None, list(err.problems)
    problems = _check_files(path, manifest.files)
    if not problems:  # the SentencePiece model is intact: its contents can be checked
        problems = _check_vocabulary(path, manifest)
    return manifest, problems


def _check_files(path: Path, files: Mapping[str, FileEntry]) -> list[str]:
    """Each listed file exists with the recorded size and sha256 (size first: it is free and it
    tells a truncated file from an altered one)."""
    problems = []
    for name, entry in files.items():
        file = path / name
        if not file.is_file():
            problems.append(f"{name} is missing")
            continue
        size = file.stat().st_size
        if size != entry.bytes:
            kind = "truncated" if size < entry.bytes else "longer than recorded"
            problems.append(f"{name} is {kind}: {size} bytes, the manifest says {entry.bytes}")
        elif sha256_file(file) != entry.sha256:
            problems.append(f"{name} is altered: its sha256 differs from the manifest's")
    return problems


def _check_vocabulary(path: Path, manifest: Manifest) -> list[str]:
    """The manifest's vocabulary size against the SentencePiece model's."""
    try:
        pieces = Tokenizer.load(path / SPM_MODEL).vocab_size
    except TokenizerError as err:  # also wrong special ids inside the model itself
        return [f"{SPM_MODEL}: {err}"]
    if pieces != manifest.vocab_size:
        return [f"vocab_size {manifest.vocab_size} does not match {SPM_MODEL} ({pieces} pieces)"]
    return []
