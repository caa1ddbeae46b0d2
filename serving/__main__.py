"""`python -m serving`: run the service with uvicorn as the settings (`NMT_*`) say."""

from __future__ import annotations

import uvicorn

from serving.connections import GuardedH11Protocol
from serving.settings import Settings


def main() -> None:
    settings = Settings()
    GuardedH11Protocol.header_timeout_s = settings.header_timeout_s
    uvicorn.run(
        "serving.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,  # ours is structured (serving.access)
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s),
        http=GuardedH11Protocol,  # h11 with a header-read timeout (serving/connections.py)
        timeout_keep_alive=max(1, round(settings.idle_timeout_s)),
    )


if __name__ == "__main__":
    main()
