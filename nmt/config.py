"""Typed configuration: the only home of defaults.

Every section is a frozen, keyword-only dataclass. YAML (or a dict) is validated into them by
`from_dict`: an unknown key is an error that names it with its dotted path, and a value of the
wrong type is an error too. Overrides use dotted keys (`trainer.max_time=00:30:00`).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from nmt.errors import NmtError
from nmt.preprocessing import CURRENT, VERSIONS

T = TypeVar("T")


class ConfigError(NmtError, ValueError):
    """A configuration that cannot be used; the message names the offending key."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class FilterConfig:
    """Train/valid pair filter (the test split never gets it)."""

    min_words: int = 1
    max_words: int = 80
    max_ratio: float = 2.5  # longer/shorter side in words
    min_letter_share: float = 0.5  # letters among non-space characters, each side
    # Train only: distinct translations kept of one source sentence (the ones most units agree
    # on). "Open" has dozens across 1,700 catalogs ("Öffnen", "Offen", "Geöffnet", ...); without a
    # cap the most frequent short strings carry the most noise and the most weight.
    max_targets_per_source: int = 3


@dataclasses.dataclass(frozen=True, kw_only=True)
class SplitConfig:
    """Leakage-free splits chosen by hashes, so they are stable across rebuilds."""

    valid_size: int = 2000
    valid_tolerance: int = 100  # a unit that would overshoot valid_size by more is left in train
    test_size: int = 2000  # hashed test sentences for imports; Ding's share of the Debian test
    salt: str = "nmt-split-v1"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DiscoveryConfig:
    """Package discovery from the archive's Contents indexes (the broad recipe)."""

    max_package_mb: float = 20.0  # a larger .deb (game data, a browser engine) is left out
    download_budget_mb: float = 2048.0  # discovered packages, smallest first, up to this total


@dataclasses.dataclass(frozen=True, kw_only=True)
class DataConfig:
    pair: str = "en-de"
    filters: FilterConfig = dataclasses.field(default_factory=FilterConfig)
    split: SplitConfig = dataclasses.field(default_factory=SplitConfig)
    discovery: DiscoveryConfig = dataclasses.field(default_factory=DiscoveryConfig)


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check `value` against annotation `tp`, converting int->float and str->Path only."""
    if _is_dataclass_type(tp):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
        return from_dict(tp, value, prefix=f"{where}.")
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, where)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(f"{where}: {value!r} matches none of {tp}")
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"{where}: {value!r} is not one of {typing.get_args(tp)}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        (item_tp, *_) = typing.get_args(tp) or (Any,)
        items = [_coerce(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is Path and isinstance(value, str):
        return Path(value)
    if tp is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"{where}: expected {tp.__name__}, got {type(value).__name__} {value!r}")
    return value


def from_dict(cls: type[T], data: Mapping[str, Any], *, prefix: str = "") -> T:
    """Build dataclass `cls` from a mapping; unknown keys and wrong types raise ConfigError."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names = ", ".join(f"{prefix}{k}" for k in unknown)
        raise ConfigError(f"unknown config key(s): {names} (allowed: {', '.join(sorted(fields))})")
    kwargs = {key: _coerce(value, hints[key], f"{prefix}{key}") for key, value in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{prefix or cls.__name__}: {err}") from None


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `a.b.c=value` strings (values parsed as YAML scalars) to a nested dict, in place."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not of the form key.path=value")
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
        node[leaf] = yaml.safe_load(raw) if raw else ""
    return data


def load_yaml(cls: type[T], path: Path, overrides: list[str] | None = None) -> T:
    """Read YAML file `path` into `cls`, with dotted overrides; errors name the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read config: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    try:
        return from_dict(cls, apply_overrides(raw, overrides or []))
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def to_dict(obj: Any) -> dict[str, Any]:
    """A dataclass config as plain YAML/JSON-able data (Paths become strings)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {k: plain(v) for k, v in dataclasses.asdict(obj).items()}


@dataclasses.dataclass(frozen=True, kw_only=True)
class LengthPenaltyConfig:
    """How finished hypotheses are ranked: `none` (sum of log-probs), `avg` (divided by length),
    `gnmt` (divided by ((5 + length) / 6) ** alpha, Wu et al. 2016)."""

    type: typing.Literal["none", "avg", "gnmt"] = "gnmt"
    alpha: float = 0.6


@dataclasses.dataclass(frozen=True, kw_only=True)
class DecodingConfig:
    """Search settings shared by every backend and entry point (CLI, batch, server)."""

    mode: typing.Literal["greedy", "beam"] = "beam"
    beam_size: int = 5
    n_best: int = 1
    length_penalty: LengthPenaltyConfig = dataclasses.field(default_factory=LengthPenaltyConfig)
    max_length_ratio: float = 2.0  # max output tokens = ratio * source tokens + max_length_extra
    max_length_extra: int = 10
    max_length: int | None = None  # absolute cap on output tokens (EOS excluded)
    min_length: int = 0  # EOS is suppressed before this many output tokens
    # Beam stop rule. `finished`: a sentence stops once beam_size of its hypotheses ended (the
    # standard rule; beam 1 is exactly greedy). `exact`: only when no live beam can still beat
    # the n-best kept, i.e. the result of searching to the length cap (slower, avg/gnmt only
    # differ). Both also stop at the cap.
    stop: typing.Literal["finished", "exact"] = "finished"

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError("beam_size must be >= 1")
        if not 1 <= self.n_best <= (self.beam_size if self.mode == "beam" else 1):
            raise ValueError("n_best must be in 1..beam_size (1 for greedy)")
        if self.max_length_ratio <= 0:
            raise ValueError("max_length_ratio must be > 0")
        if self.min_length < 0:
            raise ValueError("min_length must be >= 0")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """The seq2seq shape. Defaults are the reference model of docs/training.md:
    embeddings 256, a one-layer Bi-LSTM encoder (2 directions x 256), one LSTM decoder layer of
    512 with Luong (general) attention and input feeding, joint vocabulary 8,000 with one shared
    embedding: 11,142,464 parameters (13,190,464 with separate embeddings)."""

    vocab_size: int = 8000
    emb_dim: int = 256
    enc_hidden: int = 256  # per direction
    enc_layers: int = 1
    dec_hidden: int = 512
    dec_layers: int = 1
    cell: typing.Literal["lstm", "gru"] = "lstm"
    attention: typing.Literal["luong_general", "luong_dot", "bahdanau"] = "luong_general"
    input_feeding: bool = True
    share_embeddings: bool = True  # one embedding for source and target (joint vocabulary)
    tie_output: bool = False  # output projection shares the target embedding (via dec -> emb)
    bridge: typing.Literal["linear", "zero"] = "linear"  # encoder final state -> decoder init
    dropout: float = 0.3  # between layers and on the attentional output
    emb_dropout: float = 0.2  # on embeddings, one mask across time steps
    word_dropout: float = 0.1  # share of target input tokens replaced by UNK in training
    orthogonal_init: bool = True  # recurrent weight matrices

    def __post_init__(self) -> None:
        for name in ("dropout", "emb_dropout", "word_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1)")
        if self.attention == "luong_dot" and self.dec_hidden != 2 * self.enc_hidden:
            raise ValueError("luong_dot attention needs dec_hidden == 2 * enc_hidden")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TokenizerConfig:
    """The joint SentencePiece model, trained on the train split (masked) and kept with the run.
    Its vocabulary size is `model.vocab_size` (one number, so the two cannot disagree)."""

    model_type: typing.Literal["unigram", "bpe"] = "unigram"
    input_sentence_size: int = 1_000_000  # a seeded sample of this many sentences at most
    max_tokens: int = 100  # train/valid pairs longer than this on either side are left out
    # The `nmt.preprocessing` version the pairs are masked with, validated with and recorded in
    # the bundle. A run made before the field reads the current one, which its model can run.
    preprocessing: int = CURRENT

    def __post_init__(self) -> None:
        if self.preprocessing not in VERSIONS:
            raise ConfigError(
                f"tokenizer.preprocessing {self.preprocessing} is not one of {VERSIONS}"
            )


@dataclasses.dataclass(frozen=True, kw_only=True)
class BatchConfig:
    """Length-bucketed batches under a token budget (padding is pure waste on a CPU)."""

    max_tokens: int = 3000  # per batch: rows x longest (source or target) length, padding counted
    max_sentences: int = 128
    bucket_width: int = 2  # pairs whose lengths fall in the same width-2 bucket batch together
    eval_batch_size: int = 64
    num_workers: int = 0  # batches are pre-tokenized; workers only add process overhead here


@dataclasses.dataclass(frozen=True, kw_only=True)
class OptimConfig:
    lr: float = 2e-3
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.98)
    label_smoothing: float = 0.1
    grad_clip: float = 1.0  # max global gradient norm
    warmup_steps: int = 500  # linear warmup, then the schedule below
    # `linear` decays to min_lr at trainer.max_steps: for a fixed budget, annealing to ~0 by
    # the end beats inverse-sqrt, whose last checkpoint is taken at a still-high learning rate.
    schedule: typing.Literal["inverse_sqrt", "linear", "plateau", "constant"] = "inverse_sqrt"
    plateau_factor: float = 0.5  # `plateau`: lr *= factor when valid BLEU stalls ...
    plateau_patience: int = 2  # ... for this many validations
    min_lr: float = 1e-5
    # An exponential moving average of the weights, updated every optimizer step with this
    # decay (about 1 / (1 - decay) steps remembered); 0 turns it off. Validation scores the
    # average next to the raw weights, and the checkpoint records which one did better.
    ema_decay: float = 0.0
    # The average starts here: measured on 1,800-step runs, an average over the fast early
    # steps scores far below the raw weights (valid BLEU 4.9 against 18.9 at decay 0.999).
    ema_start_step: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"optim.ema_decay {self.ema_decay} must be in [0, 1)")
        if self.ema_start_step < 0:
            raise ConfigError(f"optim.ema_start_step {self.ema_start_step} must be >= 0")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainerConfig:
    """What Lightning's Trainer gets, plus our checkpoint and validation policy."""

    max_time: str | None = "00:01:35:00"  # DD:HH:MM:SS; the run stops cleanly at this time
    max_steps: int = -1
    max_epochs: int = 50
    val_check_interval: int = 1000  # optimizer steps between validations
    val_max_sentences: int = 1000  # valid sentences decoded for BLEU (loss uses all)
    precision: typing.Literal["32", "bf16-mixed"] = "32"
    accelerator: str = "cpu"
    devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"  # e.g. "ddp" (gloo on CPU) with devices: 2
    threads: int = 0  # torch intra-op threads; 0 = the machine's cores / devices
    seed: int = 1234
    checkpoint_every_minutes: float = 5.0  # `last.ckpt` at least this often: a crash loses less
    early_stopping_patience: int = 5  # validations without a better valid BLEU
    log_every_n_steps: int = 50
    progress_bar: bool = True


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """One training run: `runs/<name>/` under NMT_HOME holds everything it writes."""

    name: str = "en-de"
    data: Path | None = None  # corpus folder; default $NMT_HOME/data/<pair>
    pair: str = "en-de"
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    tokenizer: TokenizerConfig = dataclasses.field(default_factory=TokenizerConfig)
    batch: BatchConfig = dataclasses.field(default_factory=BatchConfig)
    optim: OptimConfig = dataclasses.field(default_factory=OptimConfig)
    trainer: TrainerConfig = dataclasses.field(default_factory=TrainerConfig)
    decoding: DecodingConfig = dataclasses.field(
        default_factory=lambda: DecodingConfig(mode="greedy")
    )  # for validation BLEU

    def __post_init__(self) -> None:
        if self.optim.schedule == "linear" and self.trainer.max_steps <= self.optim.warmup_steps:
            raise ConfigError(
                "optim.schedule linear decays to trainer.max_steps: set trainer.max_steps "
                f"above optim.warmup_steps ({self.optim.warmup_steps})"
            )
