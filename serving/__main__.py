"""`python -m serving`: run the service with uvicorn as the settings (`NMT_*`) say."""

from __future__ import annotations

import uvicorn

from serving.settings import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(
        "serving.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,  # ours is structured (serving.access)
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s),
    )


if __name__ == "__main__":
    main()
