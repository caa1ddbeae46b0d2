"""bench/cpu_ceiling.py reads the decoder step's products from a bundle's model config."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bench.cpu_ceiling import bundle_config, macs_per_row, step_shapes

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "en-de"


def test_the_shipped_bundle_gives_the_three_products() -> None:
    shapes = step_shapes(bundle_config(SHIPPED))
    assert shapes == (("gates", 1280, 2048), ("combine", 1024, 512), ("output", 512, 8000))
    assert macs_per_row(shapes) == 7_241_728


def test_shapes_follow_the_config() -> None:
    cfg = dataclasses.replace(
        bundle_config(SHIPPED),
        vocab_size=16000,
        cell="gru",
        dec_layers=2,
        attention="bahdanau",
        input_feeding=False,
        tie_output=True,
    )
    assert step_shapes(cfg) == (
        ("gates", 256 + 512, 1536),
        ("gates_l1", 1024, 1536),
        ("attention_query", 512, 512),
        ("combine", 1024, 512),
        ("output_pre", 512, 256),
        ("output", 256, 16000),
    )
