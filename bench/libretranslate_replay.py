"""LibreTranslate's own API test cases (1.9.6, written as HTTP requests in
tests/serving/test_libretranslate_compat.py) and the Weblate-style requests, replayed against a
running server (`make serve`, default bundle en-de, default settings):

    python bench/libretranslate_replay.py --url http://127.0.0.1:8000

Prints one line per case and `N passed, N failed`; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.serving import test_libretranslate_compat as cases  # noqa: E402

C = cases
CASES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("LibreTranslate test_api_translate*", C.test_lt_translate_cases, ()),
    ("LibreTranslate test_api_detect_language*", C.test_lt_detect_cases, ()),
    (
        "LibreTranslate languages, health, spec, frontend settings",
        C.test_lt_languages_health_spec_and_settings_cases,
        (),
    ),
    ("404s in each API's shape", C.test_unknown_paths_answer_in_the_shape_of_their_api, ()),
    (
        "Weblate backend requests",
        C.test_weblate_backend_offers_english_to_german_only_as_served,
        (),
    ),
    ("CORS on translation routes", C.test_cors_is_open_on_the_translation_routes_by_default, ()),
    *[
        (f"no CORS on {path}", C.test_admin_suggest_and_metrics_never_answer_cross_origin, (path,))
        for path in ("/suggest", "/v1/models/reload", "/metrics")
    ],
    ("/detect beyond served languages", C.test_detect_knows_languages_beyond_the_served_ones, ()),
    (
        "source auto: refuse or fall back",
        C.test_auto_refuses_a_confident_other_language_and_falls_back_when_unsure,
        (),
    ),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    passed = failed = 0
    with httpx.Client(base_url=args.url, timeout=60) as client:
        for name, case, extra in CASES:
            try:
                case(client, *extra)
            except AssertionError as err:
                failed += 1
                print(f"FAIL {name}: {str(err).splitlines()[0] if str(err) else 'assertion'}")
            else:
                passed += 1
                print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
