"""Settings from the environment and the per-key rate limiter (pure, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving.security import RateLimiter
from serving.settings import Settings


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings()
    assert (defaults.host, defaults.port, defaults.bundles) == ("127.0.0.1", 8000, ["en-de"])
    assert defaults.queue_size >= 256 and defaults.request_timeout_s >= 30  # a 32-client load
    assert not defaults.keys_on and defaults.beam_size == 5
    monkeypatch.setenv("NMT_API_KEYS", "k1, k2")
    monkeypatch.setenv("NMT_BUNDLES", '["en-de", "/srv/en-fr"]')
    monkeypatch.setenv("NMT_MODELS_DIR", "/srv/models")
    monkeypatch.setenv("NMT_PORT", "9000")
    env = Settings()
    assert [k.get_secret_value() for k in env.api_keys] == ["k1", "k2"] and env.keys_on
    assert env.bundles == ["en-de", "/srv/en-fr"] and env.models_dir == Path("/srv/models")
    assert env.port == 9000
    assert "k1" not in repr(env)  # keys are secrets: never in logs or reprs


def test_bad_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NMT_BEAM_SIZE", "17")
    with pytest.raises(ValueError, match="beam_size"):
        Settings()
    with pytest.raises(ValueError, match="bundle"):
        Settings(bundles="")


def test_rate_limiter_buckets() -> None:
    limiter = RateLimiter(per_minute=60, burst=2)  # one request a second, two at once
    assert limiter.acquire("a", now=0.0) == 0.0
    assert limiter.acquire("a", now=0.0) == 0.0
    assert limiter.acquire("a", now=0.0) == pytest.approx(1.0)  # empty: wait a second
    assert limiter.acquire("b", now=0.0) == 0.0  # each key its own bucket
    assert limiter.acquire("a", now=1.0) == 0.0  # refilled
    assert RateLimiter(per_minute=0, burst=1).acquire("a", now=0.0) == 0.0  # 0 = off
