"""API keys and per-key rate limits.

Keys are off unless `NMT_API_KEYS` lists some. When on, the translation routes need one of them:
in `X-API-Key`, in `Authorization: Bearer <key>`, or (LibreTranslate routes) in the `api_key`
field. Missing: 401 (400 on LibreTranslate routes, as LibreTranslate answers); unknown: 403.
Each key has a token bucket (`rate_limit_per_minute`, `rate_limit_burst`): over it, 429 with
Retry-After. Reload needs `NMT_ADMIN_KEY` when one is set, and is disabled when keys are on but
no admin key is. Keys are compared in constant time.
"""

from __future__ import annotations

import hmac
import math
import threading
import time

from starlette.requests import Request

from serving.errors import ApiError, retry_later
from serving.settings import Settings


class RateLimiter:
    """Token buckets by key: `burst` requests at once, refilled at `per_minute` / 60 per second."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)
        self._lock = threading.Lock()

    def acquire(self, key: str, now: float | None = None) -> float:
        """Take one request's token for `key`: 0.0 if granted, else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


def presented_key(request: Request, form_key: str | None = None) -> str | None:
    """The key a request carries: X-API-Key, a bearer token, or a LibreTranslate field."""
    key = request.headers.get("x-api-key")
    if not key:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            key = token.strip()
    return key or form_key or None


def _matches(key: str, candidates: list[str]) -> bool:
    found = False
    for candidate in candidates:  # no early exit: the time taken does not tell which matched
        found |= hmac.compare_digest(key.encode(), candidate.encode())
    return found


class Guard:
    """Checks keys and rate limits for the routes; one per app."""

    def __init__(self, settings: Settings) -> None:
        self.keys = [k.get_secret_value() for k in settings.api_keys]
        self.admin = settings.admin_key.get_secret_value() if settings.admin_key else None
        self.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)

    def check(self, key: str | None, *, libretranslate: bool = False) -> None:
        """Raise 401/403/429 (LibreTranslate: 400/403/429) unless `key` may translate now."""
        if not self.keys:
            return
        if not key:
            if libretranslate:
                raise ApiError(
                    400, "missing_api_key", "Please contact the server operator to get an API key"
                )
            raise ApiError(401, "missing_api_key", "an API key is required: send X-API-Key")
        if not _matches(key, self.keys):
            raise ApiError(
                403,
                "invalid_api_key",
                "Invalid API key" if libretranslate else "the API key is not valid",
            )
        wait = self.limiter.acquire(key)
        if wait > 0:
            message = f"rate limit exceeded for this API key; retry in {math.ceil(wait)} s"
            if libretranslate:
                message = f"Slowdown: {message}"
            raise retry_later(429, "rate_limited", message, math.ceil(wait))

    def check_admin(self, key: str | None) -> None:
        """Raise 401/403 unless `key` is the admin key (open when no key of any kind is set)."""
        if self.admin is None:
            if self.keys:
                raise ApiError(403, "admin_disabled", "reload is disabled: no NMT_ADMIN_KEY is set")
            return
        if not key:
            raise ApiError(401, "missing_api_key", "the admin key is required: send X-API-Key")
        if not _matches(key, [self.admin]):
            raise ApiError(403, "invalid_api_key", "the key is not the admin key")
