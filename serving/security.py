"""API keys, per-key rate limits, failed-key throttling, clients and their work in flight.

Keys are off unless `NMT_API_KEYS` lists some. When on, the translation routes need one of them:
in `X-API-Key`, in `Authorization: Bearer <key>`, or (LibreTranslate routes) in the `api_key`
field. Missing: 401 (400 on LibreTranslate routes, as LibreTranslate answers); unknown: 403.
Each key has a token bucket (`rate_limit_per_minute`, `rate_limit_burst`): over it, 429 with
Retry-After. Wrong keys (API or admin) count against the client's own bucket
(`auth_fail_per_minute`, `auth_fail_burst`): once it is empty the client gets 429 with
Retry-After, before any key is compared, so keys cannot be guessed at speed. Reload always needs
`NMT_ADMIN_KEY`: with none set it is disabled (403), so no web page a local user opens can
trigger it. Keys are compared in constant time.

A client is its API key when it presents one that is valid, else its address: the peer, or the
first address in `X-Forwarded-For` that is not a trusted proxy, when the peer is one
(`NMT_TRUSTED_PROXIES`); a forwarded header from anyone else is ignored.
"""

from __future__ import annotations

import hashlib
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

    def acquire(self, key: str, now: float | None = None, *, dry_run: bool = False) -> float:
        """Take one request's token for `key`: 0.0 if granted, else the seconds to wait.
        `dry_run`: only tell, take nothing."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if dry_run:
                return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


def peer_address(request: Request, trusted_proxies: list[str]) -> str:
    """The client's address: the peer, or (peer a trusted proxy) the nearest untrusted hop of
    X-Forwarded-For."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):  # the right end was added by the nearest proxy
        if hop not in trusted_proxies:
            return hop[:64]
    return peer


def client_id(request: Request, settings: Settings, key: str | None = None) -> str:
    """Whom per-client limits count: the presented key (hashed) when keys are on, else the
    address (see `peer_address`)."""
    key = key or presented_key(request)
    if settings.keys_on and key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return "ip:" + peer_address(request, settings.trusted_proxies)


class ClientBudget:
    """Decoder steps of the requests in flight, per client; `reserve` refuses past `limit`.
    A client with nothing in flight is always let in (one request is bounded by its own limit),
    so the budget limits piling up, never a single allowed request."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used: dict[str, int] = {}

    def used(self, client: str) -> int:
        return self._used.get(client, 0)

    def reserve(self, client: str, steps: int) -> bool:
        used = self._used.get(client, 0)
        if used and used + steps > self.limit:
            return False
        self._used[client] = used + steps
        return True

    def release(self, client: str, steps: int) -> None:
        left = self._used.get(client, 0) - steps
        if left > 0:
            self._used[client] = left
        else:
            self._used.pop(client, None)


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
        self.failures = RateLimiter(settings.auth_fail_per_minute, settings.auth_fail_burst)
        self._blocked: dict[str, float] = {}  # client -> when its failure bucket refills one

    def _throttled(self, client: str, libretranslate: bool) -> None:
        """429 while `client` has used up its failed-key allowance."""
        until = self._blocked.get(client)
        if until is None:
            return
        wait = until - time.monotonic()
        if wait <= 0:
            del self._blocked[client]
            return
        message = f"too many wrong keys from this client; retry in {math.ceil(wait)} s"
        raise retry_later(
            429, "rate_limited", f"Slowdown: {message}" if libretranslate else message, wait
        )

    def _failed(self, client: str) -> None:
        """Count a wrong key against `client`; block it once its allowance is used up (the
        `auth_fail_burst`-th wrong key in a row is the last one compared)."""
        self.failures.acquire(client)
        wait = self.failures.acquire(client, dry_run=True)
        if wait > 0:
            self._blocked[client] = time.monotonic() + wait

    def check(self, key: str | None, *, client: str = "", libretranslate: bool = False) -> None:
        """Raise 401/403/429 (LibreTranslate: 400/403/429) unless `key` may translate now.
        `client` (its address) is charged for a wrong key."""
        if not self.keys:
            return
        if not key:
            if libretranslate:
                raise ApiError(
                    400, "missing_api_key", "Please contact the server operator to get an API key"
                )
            raise ApiError(401, "missing_api_key", "an API key is required: send X-API-Key")
        self._throttled(client, libretranslate)
        if not _matches(key, self.keys):
            self._failed(client)
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

    def check_admin(self, key: str | None, *, client: str = "") -> None:
        """Raise 401/403/429 unless `key` is the admin key; with no admin key set, reload is
        disabled (403), keys on or off."""
        if self.admin is None:
            raise ApiError(403, "admin_disabled", "reload is disabled: no NMT_ADMIN_KEY is set")
        if not key:
            raise ApiError(401, "missing_api_key", "the admin key is required: send X-API-Key")
        self._throttled(client, False)
        if not _matches(key, [self.admin]):
            self._failed(client)
            raise ApiError(403, "invalid_api_key", "the key is not the admin key")
