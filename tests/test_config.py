from __future__ import annotations

from pathlib import Path

import pytest

from nmt.config import (
    ConfigError,
    DataConfig,
    DecodingConfig,
    FilterConfig,
    apply_overrides,
    from_dict,
    load_yaml,
    to_dict,
)


def test_unknown_key_is_named_with_its_path() -> None:
    with pytest.raises(ConfigError, match=r"filters\.max_wrods"):
        from_dict(DataConfig, {"filters": {"max_wrods": 3}})


def test_wrong_type_and_literal_rejected() -> None:
    with pytest.raises(ConfigError, match="max_words"):
        from_dict(FilterConfig, {"max_words": "many"})
    with pytest.raises(ConfigError, match="mode"):
        from_dict(DecodingConfig, {"mode": "sample"})


def test_int_is_accepted_for_float_and_defaults_fill_in() -> None:
    cfg = from_dict(DataConfig, {"filters": {"max_ratio": 3}})
    assert cfg.filters.max_ratio == 3.0 and isinstance(cfg.filters.max_ratio, float)
    assert cfg.split.valid_size == 2000


def test_validation_in_post_init_becomes_config_error() -> None:
    with pytest.raises(ConfigError, match="n_best"):
        from_dict(DecodingConfig, {"mode": "greedy", "n_best": 2})


def test_yaml_with_overrides_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "data.yaml"
    path.write_text("pair: en-fr\nfilters:\n  max_words: 50\n", encoding="utf-8")
    cfg = load_yaml(DataConfig, path, ["filters.max_words=60", "split.salt=x"])
    assert (cfg.pair, cfg.filters.max_words, cfg.split.salt) == ("en-fr", 60, "x")
    assert from_dict(DataConfig, to_dict(cfg)) == cfg


def test_bad_yaml_and_bad_override_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_yaml(DataConfig, path)
    with pytest.raises(ConfigError, match=r"key\.path=value"):
        apply_overrides({}, ["no-equals-sign"])
