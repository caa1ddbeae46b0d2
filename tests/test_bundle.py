"""The model bundle: written with checksums, read back, and refused (naming the problem) when
missing, truncated, altered, too new or mismatched."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nmt import __version__
from nmt.bundle import (
    DECODER,
    ENCODER,
    FORMAT_VERSION,
    MANIFEST,
    MODEL_CARD,
    OPTIONAL,
    SPM_MODEL,
    BundleError,
    Manifest,
    ManifestError,
    load_bundle,
    update_bundle,
    verify,
)
from nmt.config import DecodingConfig, ModelConfig
from tests.translate_helpers import VOCAB, tiny_bundle, tiny_manifest, train_tiny_tokenizer

# Format 1's manifest.json, key by key, as every nmt has written it.
FIELD_ORDER = (
    "format_version",
    "pair",
    "model",
    "parameters",
    "vocab_size",
    "special_ids",
    "corpus_manifest_sha256",
    "training",
    "scores",
    "quantization",
    "decoding",
    "created",
    "nmt_version",
    "files",
)
SHIPPED = Path(__file__).resolve().parents[1] / "models" / "en-de"


@pytest.fixture(scope="module")
def spm_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spm") / "sentencepiece.model"
    train_tiny_tokenizer(path)
    return path


@pytest.fixture
def bundle_dir(tmp_path: Path, spm_model: Path) -> Path:
    return tiny_bundle(tmp_path / "bundle", spm_model).path


def _edit_manifest(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    edit(manifest)
    (path / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_round_trip_records_every_field_and_checksum(bundle_dir: Path, spm_model: Path) -> None:
    bundle = load_bundle(bundle_dir)
    m = json.loads((bundle_dir / MANIFEST).read_text(encoding="utf-8"))
    assert m["format_version"] == FORMAT_VERSION == 1
    assert (m["pair"], m["parameters"], m["vocab_size"]) == ("en-de", 1234, VOCAB)
    assert ModelConfig(**m["model"]) == ModelConfig(vocab_size=VOCAB)
    assert m["special_ids"] == {"pad": 0, "unk": 1, "bos": 2, "eos": 3}
    assert m["corpus_manifest_sha256"] == "ab" * 32
    assert m["training"] == {"steps": 10, "time_s": 1.5}
    assert m["scores"]["test"]["signature"] == "nrefs:1|case:mixed"
    assert m["quantization"] == bundle.quantization == "int8-dynamic"
    assert m["decoding"] is None and m["nmt_version"] == __version__
    assert dt.datetime.fromisoformat(m["created"]).tzinfo is not None
    # A bundle written now records its preprocessing version (absent: version 1, the old ones).
    assert list(m) == [*FIELD_ORDER[:-1], "preprocessing", "files"]
    assert set(m["files"]) == {ENCODER, DECODER, SPM_MODEL, MODEL_CARD}
    assert bundle.manifest == Manifest.from_dict(m)
    for name, entry in m["files"].items():
        data = (bundle_dir / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert (bundle_dir / SPM_MODEL).read_bytes() == spm_model.read_bytes()
    assert (bundle_dir / MODEL_CARD).read_text(encoding="utf-8").startswith("# tiny")
    assert bundle.model_config == ModelConfig(vocab_size=VOCAB)
    assert bundle.decoding is None
    assert bundle.encoder_path == bundle_dir / ENCODER and bundle.spm_path.is_file()
    assert verify(bundle_dir) == []


def test_version_is_a_content_address(tmp_path: Path, spm_model: Path) -> None:
    one = tiny_bundle(tmp_path / "one", spm_model, created="2026-01-01T00:00:00+00:00")
    two = tiny_bundle(tmp_path / "two", spm_model, created="2026-01-01T00:00:00+00:00")
    other = tiny_bundle(tmp_path / "three", spm_model, model_card_text="# other\n")
    assert one.version == two.version != other.version
    assert len(one.version) == 12


def test_decoding_and_fp32_are_recorded(tmp_path: Path, spm_model: Path) -> None:
    decoding = DecodingConfig(beam_size=4)
    bundle = tiny_bundle(tmp_path / "b", spm_model, quantization="fp32", decoding=decoding)
    assert bundle.quantization == "fp32"
    assert bundle.decoding == decoding


def test_rewrite_replaces_the_bundle_and_leaves_no_temporaries(
    tmp_path: Path, spm_model: Path
) -> None:
    tiny_bundle(tmp_path / "b", spm_model, scores={})
    again = tiny_bundle(tmp_path / "b", spm_model, scores={"test": {"bleu": 2.0}})
    assert load_bundle(tmp_path / "b").manifest.scores == {"test": {"bleu": 2.0}}
    assert again.manifest.scores["test"]["bleu"] == 2.0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_write_refuses_to_replace_a_folder_that_is_not_a_bundle(
    tmp_path: Path, spm_model: Path
) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(BundleError, match="not a bundle"):
        tiny_bundle(target, spm_model)
    assert (target / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"vocab_size": VOCAB + 100}, r"has 400 pieces, model.vocab_size is 500"),
        ({"quantization": "int4"}, r"quantization 'int4' is not one of"),
        ({"training": {"steps": 3}}, r"training info lacks time_s"),
    ],
)
def test_write_refuses_bad_arguments(
    tmp_path: Path, spm_model: Path, fields: dict[str, Any], message: str
) -> None:
    vocab = fields.pop("vocab_size", VOCAB)
    with pytest.raises(BundleError, match=message):
        tiny_bundle(tmp_path / "b", spm_model, vocab_size=vocab, **fields)
    assert not (tmp_path / "b").exists()


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


# Each corruption, and what the refusal must say.
CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "one byte changed in a graph": (
        lambda b: _flip_one_byte(b / DECODER),
        r"decoder_step\.onnx is altered: its sha256 differs",
    ),
    "one byte changed in the tokenizer": (
        lambda b: _flip_one_byte(b / SPM_MODEL),
        r"sentencepiece\.model is altered",
    ),
    "truncated graph": (
        lambda b: _truncate(b / ENCODER),
        r"encoder\.onnx is truncated: \d+ bytes, the manifest says \d+",
    ),
    "missing tokenizer": (lambda b: (b / SPM_MODEL).unlink(), r"sentencepiece\.model is missing"),
    "missing manifest": (lambda b: (b / MANIFEST).unlink(), r"manifest\.json is missing"),
    "broken JSON": (
        lambda b: (b / MANIFEST).write_text("{", encoding="utf-8"),
        r"manifest\.json is not valid JSON",
    ),
    "newer format": (
        lambda b: _edit_manifest(b, lambda m: m.update(format_version=2)),
        r"format_version 2 is newer than this nmt reads \(1\): upgrade nmt",
    ),
    "unknown format": (
        lambda b: _edit_manifest(b, lambda m: m.update(format_version="one")),
        r"unknown format_version 'one'",
    ),
    "vocab size mismatch": (
        lambda b: _edit_manifest(
            b, lambda m: (m.update(vocab_size=8000), m["model"].update(vocab_size=8000))
        ),
        r"vocab_size 8000 does not match sentencepiece\.model \(400 pieces\)",
    ),
    "special ids differ": (
        lambda b: _edit_manifest(b, lambda m: m["special_ids"].update(bos=1, unk=2)),
        r"special ids .* differ from nmt\.tokenizer's",
    ),
    "unknown model key": (
        lambda b: _edit_manifest(b, lambda m: m["model"].update(layers=3)),
        r"unknown config key\(s\): model\.layers",
    ),
    "graph not listed": (
        lambda b: _edit_manifest(b, lambda m: m["files"].pop(ENCODER)),
        r"manifest\.json does not list encoder\.onnx",
    ),
    "path outside the bundle": (
        lambda b: _edit_manifest(
            b, lambda m: m["files"].update({"../x": {"sha256": "0", "bytes": 1}})
        ),
        r"invalid file name '\.\./x'",
    ),
    "missing field": (
        lambda b: _edit_manifest(b, lambda m: m.pop("pair")),
        r"manifest\.json lacks 'pair'",
    ),
    "missing derived field": (
        lambda b: _edit_manifest(b, lambda m: m.pop("vocab_size")),
        r"manifest\.json lacks 'vocab_size'",
    ),
    "field of the wrong type": (
        lambda b: _edit_manifest(b, lambda m: m.update(parameters="1234")),
        r"manifest\.json: 'parameters' has the wrong type",
    ),
    "model and vocab_size disagree": (
        lambda b: _edit_manifest(b, lambda m: m.update(vocab_size=8000)),
        r"model\.vocab_size 400 differs from vocab_size 8000",
    ),
    "unknown field": (
        lambda b: _edit_manifest(b, lambda m: m.update(memory="terms.tsv")),
        r"manifest\.json has unknown field\(s\) 'memory': written by a newer nmt\? upgrade nmt",
    ),
    "unknown quantization": (
        lambda b: _edit_manifest(b, lambda m: m.update(quantization="int4")),
        r"quantization 'int4' is not one of",
    ),
    "bad file entry": (
        lambda b: _edit_manifest(b, lambda m: m["files"][ENCODER].pop("bytes")),
        r"manifest\.json: the entry of encoder\.onnx lacks sha256 or bytes",
    ),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_damaged_bundle_is_refused_naming_the_problem(bundle_dir: Path, case: str) -> None:
    damage, message = CORRUPTIONS[case]
    damage(bundle_dir)
    with pytest.raises(BundleError, match=message) as refused:
        load_bundle(bundle_dir)
    assert str(refused.value).startswith(f"bundle {bundle_dir}: ")
    problems = verify(bundle_dir)
    assert len(problems) >= 1
    assert any(re.search(message, problem) for problem in problems)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no such folder"):
        load_bundle(tmp_path / "nowhere")


def test_a_tokenizer_from_another_run_is_refused(
    bundle_dir: Path, tmp_path: Path, spm_model: Path
) -> None:
    """The realistic mismatch: intact files (checksums updated), but the SentencePiece model has
    another vocabulary size than the one the graphs were trained with."""
    other = tmp_path / "other.model"
    train_tiny_tokenizer(other, vocab_size=VOCAB + 5)
    shutil.copyfile(other, bundle_dir / SPM_MODEL)

    def rehash(manifest: dict[str, Any]) -> None:
        data = other.read_bytes()
        manifest["files"][SPM_MODEL] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }

    _edit_manifest(bundle_dir, rehash)
    with pytest.raises(BundleError, match=r"vocab_size 400 does not match .* \(405 pieces\)"):
        load_bundle(bundle_dir)


# --- the manifest as an object ---------------------------------------------------------------


@pytest.mark.skipif(not (SHIPPED / MANIFEST).is_file(), reason="no models/en-de in this checkout")
def test_the_shipped_manifest_reads_and_writes_back_byte_for_byte() -> None:
    text = (SHIPPED / MANIFEST).read_text(encoding="utf-8")
    manifest = Manifest.from_json(text)
    assert manifest.to_json() == text
    # a version-3 model: the optional `preprocessing` field is written, before `files`
    assert list(json.loads(text)) == [*FIELD_ORDER[:-1], "preprocessing", "files"]
    assert (manifest.pair, manifest.quantization, manifest.vocab_size) == (
        "en-de",
        "int8-dynamic",
        8000,
    )
    assert manifest.preprocessing == 3
    assert manifest.decoding is not None and manifest.decoding.beam_size == 5
    assert manifest.files[ENCODER].bytes == (SHIPPED / ENCODER).stat().st_size


def test_a_rewritten_bundle_keeps_every_value(bundle_dir: Path) -> None:
    """update_bundle without changes: the same manifest (created included) and the same files,
    so the same version."""
    before = load_bundle(bundle_dir)
    text = (bundle_dir / MANIFEST).read_text(encoding="utf-8")
    after = update_bundle(bundle_dir)
    assert after.manifest == before.manifest and after.version == before.version
    assert (bundle_dir / MANIFEST).read_text(encoding="utf-8") == text


def test_update_changes_only_what_it_is_given(bundle_dir: Path) -> None:
    before = load_bundle(bundle_dir).manifest
    decoding = DecodingConfig(beam_size=3)
    after = update_bundle(bundle_dir, scores={"valid": 1}, decoding=decoding).manifest
    assert (after.scores, after.decoding) == ({"valid": 1}, decoding)
    assert dataclasses.replace(after, scores=before.scores, decoding=None) == before


def test_a_manifest_validates_itself_when_built() -> None:
    with pytest.raises(ManifestError) as refused:
        tiny_manifest(quantization="int4", training={"steps": 1})
    assert refused.value.problems == (
        "quantization 'int4' is not one of ('int8-dynamic', 'int8-static', 'fp32')",
        "training info lacks time_s",
    )
    assert isinstance(refused.value, BundleError)


def test_a_manifest_keeps_its_own_copies() -> None:
    training = {"steps": 1, "time_s": 2.0}
    manifest = tiny_manifest(training=training)
    training["steps"] = 99
    assert manifest.training == {"steps": 1, "time_s": 2.0}


def test_reading_collects_every_problem_of_the_fields() -> None:
    data = json.loads(tiny_manifest().to_json())
    del data["pair"]
    data["parameters"] = None
    data["extra"] = 1
    with pytest.raises(ManifestError) as refused:
        Manifest.from_dict(data)
    assert set(refused.value.problems) == {
        "manifest.json has unknown field(s) 'extra': written by a newer nmt? upgrade nmt",
        "manifest.json lacks 'pair'",
        "manifest.json: 'parameters' has the wrong type",
        "manifest.json does not list encoder.onnx, decoder_step.onnx, sentencepiece.model, "
        "MODEL_CARD.md",
    }


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Extended(Manifest):
    """How another branch adds a field: typed, with a default, OPTIONAL."""

    memory: str | None = dataclasses.field(default=None, metadata=OPTIONAL)


def test_an_optional_field_is_written_only_when_set(bundle_dir: Path) -> None:
    plain = load_bundle(bundle_dir).manifest
    fields = {f.name: getattr(plain, f.name) for f in dataclasses.fields(plain)}
    unset = _Extended(**fields)
    assert unset.to_json() == plain.to_json()  # bundles without it keep their manifests
    assert _Extended.from_json(plain.to_json()) == unset
    with_it = _Extended(**fields, memory="terms.tsv")
    assert json.loads(with_it.to_json())["memory"] == "terms.tsv"
    assert _Extended.from_json(with_it.to_json()) == with_it
    with pytest.raises(ManifestError, match="'memory' has the wrong type"):
        _Extended.from_json(with_it.to_json().replace('"terms.tsv"', "3"))
    with pytest.raises(ManifestError, match=r"unknown field\(s\) 'memory'"):
        Manifest.from_json(with_it.to_json())  # an older nmt asks for an upgrade
