"""The loaded models, routed by language pair, and their atomic reload.

A model is a verified bundle loaded into a Translator, with its own micro-batcher. The registry
maps each pair ("en-de") to one model; a request resolves its model once, and the texts it
queues run on that model's Translator whatever happens after, so a reload never mixes models
inside a request. A reload loads and self-tests every new bundle first (in a thread: the event
loop keeps serving), then swaps the whole mapping in one assignment; when any new bundle fails,
nothing is swapped and the old models keep serving. Replaced models drain their queues in the
background and then stop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

from nmt.bundle import MANIFEST, BundleError
from nmt.config import DecodingConfig
from nmt.translator import Translator
from serving.batching import Batcher
from serving.errors import ApiError, bad_request
from serving.metrics import Metrics
from serving.settings import ALL_BUNDLES, Settings

logger = logging.getLogger(__name__)

# a folder name longer than this (bytes; ext4, XFS, tmpfs) cannot exist: no such bundle
_MAX_NAME_BYTES = 255


@dataclasses.dataclass(frozen=True, slots=True)
class Model:
    """One served bundle. `id` is its folder name; `version` its content address."""

    id: str
    path: Path
    pair: str
    source: str
    target: str
    version: str
    quantization: str
    decoding: DecodingConfig  # the server default for this model
    translator: Translator
    batcher: Batcher
    loaded_at: str

    def describe(self) -> dict[str, object]:
        manifest = self.translator.bundle.manifest if self.translator.bundle else None
        return {
            "id": self.id,
            "pair": self.pair,
            "source": self.source,
            "target": self.target,
            "version": self.version,
            "quantization": self.quantization,
            "path": str(self.path),
            "loaded_at": self.loaded_at,
            "parameters": manifest.parameters if manifest else None,
            "training_steps": manifest.training.get("steps") if manifest else None,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Swap:
    """One pair's change in a reload (`old_version` None: newly served)."""

    id: str
    pair: str
    old_version: str | None
    new_version: str


# An absolute path inside a message: a slash-led run of path characters (quotes, spaces and
# separators such as ':' end it).
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/[^\s'\":,;()]+")


def without_paths(message: str) -> str:
    """`message` with absolute server paths cut to their last part (a bundle or file name):
    what a client is told never maps the server's disk."""
    return _ABSOLUTE_PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1] or "/", message)


def split_pair(pair: str) -> tuple[str, str]:
    source, sep, target = pair.partition("-")
    if not (source and sep and target):
        raise BundleError(f"language pair {pair!r} is not of the form source-target")
    return source, target


class Registry:
    """Bundles by pair. Create, then `await load()` in the lifespan; `await close()` at the end."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self._models: dict[str, Model] = {}
        self._draining: set[asyncio.Task[None]] = set()
        self._reload_lock = asyncio.Lock()
        self.ready = False
        self.closing = False

    @property
    def models(self) -> list[Model]:
        return sorted(self._models.values(), key=lambda m: m.pair)

    # --- resolving -------------------------------------------------------------------------------

    def resolve(self, source: str, target: str) -> Model:
        """The model for source -> target; `source` "auto" where one pair has that target.
        Raises a 400 ApiError naming the served pairs otherwise."""
        models = self._models  # one snapshot: a reload may swap the mapping meanwhile
        if source == "auto":
            found = [m for m in models.values() if m.target == target]
            if len(found) == 1:
                return found[0]
            raise bad_request(
                "unsupported_pair",
                f"source 'auto' needs exactly one served pair with target {target!r}, "
                f"found {len(found)}; served pairs: {self._pairs(models)}",
            )
        model = models.get(f"{source}-{target}")
        if model is None:
            raise bad_request(
                "unsupported_pair",
                f"no model translates {source!r} to {target!r}; served pairs: "
                f"{self._pairs(models)}",
            )
        return model

    @staticmethod
    def _pairs(models: dict[str, Model]) -> str:
        return ", ".join(sorted(models)) or "none"

    # --- loading ---------------------------------------------------------------------------------

    def configured_paths(self) -> list[Path]:
        """The bundle folders the settings name ("*": every bundle under models_dir)."""
        root = self.settings.models_dir
        paths: list[Path] = []
        for name in self.settings.bundles:
            if name == ALL_BUNDLES:
                found = sorted(p for p in root.glob("*") if (p / MANIFEST).is_file())
                if not found:
                    raise BundleError(f"no bundle (folder with {MANIFEST}) under {root}")
                paths += found
            elif "/" in name or Path(name).is_absolute():
                paths.append(Path(name))
            else:
                paths.append(root / name)
        return paths

    def named_path(self, name: str) -> Path:
        """The bundle `name` under models_dir; 404 ApiError if there is none."""
        shown = name if len(name) <= 64 else f"{name[:64]}..."
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise ApiError(404, "not_found", f"no bundle named {shown!r}")
        path = self.settings.models_dir / name
        try:  # a name no folder can have (too long, not encodable) is no bundle, not an error
            found = len(os.fsencode(name)) <= _MAX_NAME_BYTES and (path / MANIFEST).is_file()
        except (OSError, ValueError):
            found = False
        if not found:
            raise ApiError(404, "not_found", f"no bundle named {shown!r} in the models folder")
        return path

    async def load(self) -> None:
        """Load the configured bundles (startup). Raises BundleError, naming the bundle."""
        models = await asyncio.to_thread(self._load_many, self.configured_paths())
        self._models = self._by_pair(models)
        for model in models:
            model.batcher.start()
        self.ready = True
        logger.info("serving %s", ", ".join(f"{m.pair} ({m.version})" for m in self.models))

    def _load_many(self, paths: Sequence[Path]) -> list[Model]:
        return [self._load_one(path) for path in paths]

    def _load_one(self, path: Path) -> Model:
        """Verify, load and self-test one bundle (blocking: run in a thread)."""
        s = self.settings
        translator = Translator.load(path, threads=s.threads or None, batch_size=s.batch_max_texts)
        bundle = translator.bundle
        assert bundle is not None
        source, target = split_pair(bundle.pair)
        cap = translator.decoding.max_length
        decoding = dataclasses.replace(
            translator.decoding,
            mode=s.decoding_mode,
            beam_size=s.beam_size,
            n_best=1,
            max_length=min(cap, s.max_output_tokens) if cap else s.max_output_tokens,
        )
        try:  # the self-test: a bundle whose graphs load but cannot translate is refused here
            result = translator.translate([s.self_test_text], dataclasses.replace(decoding))
        except Exception as err:
            raise BundleError(f"bundle {path}: self-test translation failed: {err}") from err
        if len(result) != 1 or not isinstance(result[0].text, str):
            raise BundleError(f"bundle {path}: self-test translation gave no text")
        batcher = Batcher(
            translator,
            name=path.name,
            max_texts=s.batch_max_texts,
            max_tokens=s.batch_max_tokens,
            max_wait_s=s.batch_wait_ms / 1000,
            wait_when_idle=s.batch_wait_idle,
            queue_size=s.queue_size,
            metrics=self.metrics,
            concurrency=s.batch_concurrency,
            max_steps=s.batch_max_steps,
            light_steps=s.batch_light_steps,
        )
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        return Model(
            path.name, path, bundle.pair, source, target, bundle.version, bundle.quantization,
            decoding, translator, batcher, now,
        )  # fmt: skip

    @staticmethod
    def _by_pair(models: Sequence[Model]) -> dict[str, Model]:
        out: dict[str, Model] = {}
        for model in models:
            if model.pair in out:
                raise BundleError(
                    f"bundles {out[model.pair].path} and {model.path} both serve {model.pair}"
                )
            out[model.pair] = model
        return out

    # --- reloading -------------------------------------------------------------------------------

    async def reload(self, name: str | None = None) -> list[Swap]:
        """Re-read the configured bundles, or the one bundle `name` under models_dir, and swap
        them in atomically. 404 ApiError for an unknown name; 409 when a bundle fails
        verification or its self-test (the old models keep serving)."""
        async with self._reload_lock:
            try:
                paths = [self.named_path(name)] if name is not None else self.configured_paths()
                loaded = await asyncio.to_thread(self._load_many, paths)
                fresh = self._by_pair(loaded)
            except BundleError as err:
                logger.warning("reload refused: %s", err)  # the full story, paths included
                message = f"{without_paths(str(err))}; the old models keep serving"
                raise ApiError(409, "bundle_rejected", message) from err
            old = self._models
            new = {**old, **fresh} if name is not None else fresh
            for model in loaded:
                model.batcher.start()
            self._models = new  # the swap: one assignment, seen whole by every later request
            swaps = [
                Swap(m.id, m.pair, old[m.pair].version if m.pair in old else None, m.version)
                for m in loaded
            ]
            retired = [m for pair, m in old.items() if new.get(pair) is not m]
            for model in retired:
                task = asyncio.get_running_loop().create_task(model.batcher.close())
                self._draining.add(task)
                task.add_done_callback(self._draining.discard)
            logger.info("reloaded %s", ", ".join(f"{s.pair} {s.new_version}" for s in swaps))
            return swaps

    async def close(self) -> None:
        """Drain every queue (in-flight requests get their results) and stop, within
        `shutdown_timeout_s`: past it, what is queued fails and running batches stop at their
        next decoder step."""
        self.closing = True
        timeout = self.settings.shutdown_timeout_s
        await asyncio.gather(*(m.batcher.close(timeout) for m in self._models.values()))
        await asyncio.gather(*self._draining)
