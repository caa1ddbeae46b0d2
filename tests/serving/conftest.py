"""Fixtures of the serving tests: a models folder holding the tiny real fp32 ONNX bundle
(`tests.translate_helpers.onnx_bundle`), variants of it for reloads, and app factories."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nmt.bundle import DECODER, ENCODER, SPM_MODEL, Bundle, load_bundle, write_bundle
from nmt.translator import Translator
from serving.app import create_app
from serving.registry import Registry
from serving.settings import Settings
from tests.translate_helpers import onnx_bundle

AppFactory = Callable[..., FastAPI]


@pytest.fixture(scope="session")
def base_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = onnx_bundle(tmp_path_factory)
    return path


def variant(
    base: Path, out: Path, *, model_card_text: str = "# variant\n", **changes: Any
) -> Bundle:
    """A bundle with `base`'s graphs and tokenizer, and another model card or other manifest
    fields (`changes`, e.g. pair): a different version, or a different pair, without exporting
    again."""
    old = load_bundle(base).manifest
    manifest = dataclasses.replace(
        old, corpus_manifest_sha256=None, scores={}, decoding=None, created=None, **changes
    )
    return write_bundle(
        out,
        manifest,
        encoder=base / ENCODER,
        decoder=base / DECODER,
        spm_model=base / SPM_MODEL,
        model_card_text=model_card_text,
    )


@pytest.fixture(scope="session")
def models_dir(base_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """models/en-de: the tiny bundle (read-only to tests; copy it to change it)."""
    root = tmp_path_factory.mktemp("models")
    shutil.copytree(base_bundle, root / "en-de")
    return root


@pytest.fixture
def own_models(base_bundle: Path, tmp_path: Path) -> Path:
    """A models folder that a test may change (reloads)."""
    root = tmp_path / "models"
    root.mkdir()
    shutil.copytree(base_bundle, root / "en-de")
    return root


def settings_for(models: Path, **overrides: Any) -> Settings:
    # any Host: the in-process clients send "testserver" / "test" (the Host check has its own tests)
    values: dict[str, Any] = {
        "models_dir": models, "threads": 1, "access_log": True, "allowed_hosts": ["*"],
    }  # fmt: skip
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_app(models_dir: Path) -> AppFactory:
    def make(models: Path | None = None, **overrides: Any) -> FastAPI:
        return create_app(settings_for(models or models_dir, **overrides))

    return make


@pytest.fixture(scope="module")
def client(base_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app with default settings for the many read-only tests of a module."""
    root = tmp_path_factory.mktemp("client-models")
    shutil.copytree(base_bundle, root / "en-de")
    with TestClient(create_app(settings_for(root))) as test_client:
        yield test_client


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, and an async client on it (in-process, so tests can
    run requests concurrently and reach into the registry)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def registry(app: FastAPI) -> Registry:
    found: Registry = app.state.services.registry
    return found


class Gate:
    """Holds a model's translation thread until opened: makes queueing deterministic."""

    def __init__(self, translator: Translator) -> None:
        self.open = threading.Event()
        self.entered = threading.Event()
        self.calls = 0
        original = translator.translate

        def gated(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.entered.set()
            self.open.wait(30)
            return original(*args, **kwargs)

        translator.translate = gated  # type: ignore[method-assign]


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.005)
