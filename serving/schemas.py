"""Request and response bodies of the v1 API (pydantic): the OpenAPI schema comes from here.

Unknown fields are errors (422 naming them), so a misspelt option is never silently ignored.
Limits that answer 413 (characters per text, texts per request) are checked by the route, not
here, because they are not malformed input but too much of it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nmt.config import LengthPenaltyConfig
from nmt.glossary import make_glossary

LANGUAGE_PATTERN = "^[A-Za-z0-9_-]{1,32}$"
# A request's glossary terms at most: each becomes a branch of the detection regex, compiled per
# distinct set of terms a text holds, so the bound keeps one request's cost small.
MAX_REQUEST_TERMS = 256


class _Strict(BaseModel):
    # strict: a boolean is true or false, not 0 or "yes"; a number is not a string
    model_config = ConfigDict(extra="forbid", strict=True)


def _integral(value: Any) -> Any:
    """A JSON number with no fractional part (`5.0`) as the integer it is: JSON Schema counts it
    an integer, so a client (or a generator) going by the schema may send it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def check_text(text: str) -> str:
    """Refuse text that cannot be encoded (a lone surrogate from a JSON \\ud800 escape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"text holds an invalid character at {err.start}") from None
    return text


_LENGTH_PENALTY = LengthPenaltyConfig()  # the defaults' one home is nmt.config


class LengthPenalty(_Strict):
    type: Literal["none", "avg", "gnmt"] = _LENGTH_PENALTY.type
    alpha: float = Field(default=_LENGTH_PENALTY.alpha, ge=0.0, le=2.0)


class Decoding(_Strict):
    """Unset fields take the server's defaults (`NMT_DECODING_MODE`, `NMT_BEAM_SIZE`) and the
    bundle's recorded length penalty and length limits."""

    mode: Literal["greedy", "beam"] | None = None
    beam_size: int | None = Field(default=None, ge=1, le=16)
    n_best: int | None = Field(default=None, ge=1, le=16, description="1..beam_size; 1 for greedy")
    length_penalty: LengthPenalty | None = None
    max_length_ratio: float | None = Field(default=None, gt=0.0, le=10.0)
    min_length: int | None = Field(default=None, ge=0, le=1024)

    # strict integers (no "5", no true), but 5.0 is 5
    _integers = field_validator("beam_size", "n_best", "min_length", mode="before")(_integral)


class ReturnOptions(_Strict):
    scores: bool = True
    alignment: bool = False
    attention: bool = False


class TranslateRequest(_Strict):
    text: str | list[str] = Field(description="One text, or a list (the response echoes it)")
    # the pattern only documents what `_language` checks (its message names the field)
    source: str = Field(
        description="Language code, or 'auto' where one pair has the target",
        json_schema_extra={"pattern": LANGUAGE_PATTERN},
    )
    target: str = Field(json_schema_extra={"pattern": LANGUAGE_PATTERN})
    decoding: Decoding | None = None
    glossary: dict[str, str] | None = Field(
        default=None,
        description="Source term -> target term: each match (any case, whole words) is "
        f"translated as its target, over the model's default glossary; at most "
        f"{MAX_REQUEST_TERMS} terms",
        examples=[{"file": "Datei"}],
    )
    return_: ReturnOptions = Field(default_factory=ReturnOptions, alias="return")

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        populate_by_name=True,
        json_schema_extra={
            "examples": [{"text": "Open the file menu.", "source": "en", "target": "de"}]
        },
    )

    @field_validator("text")
    @classmethod
    def _encodable(cls, value: str | list[str]) -> str | list[str]:
        for text in [value] if isinstance(value, str) else value:
            check_text(text)
        return value

    @field_validator("glossary")
    @classmethod
    def _glossary(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        if len(value) > MAX_REQUEST_TERMS:
            raise ValueError(f"at most {MAX_REQUEST_TERMS} glossary terms")
        for term in (*value, *value.values()):
            check_text(term)
        return make_glossary(value.items(), origin="glossary")  # GlossaryError is a ValueError

    @field_validator("source", "target")
    @classmethod
    def _language(cls, value: str) -> str:
        if not 1 <= len(value) <= 32 or not value.replace("_", "").replace("-", "").isalnum():
            raise ValueError("must be a language code such as 'en'")
        return value


class Alternative(BaseModel):
    text: str
    score: float | None = None


class Attention(BaseModel):
    """weights[t][s]: attention of output piece t over source piece s. Its size is bounded: a
    request whose attention could hold more than `NMT_MAX_ATTENTION_CELLS` weights (output
    pieces at most x source pieces, over its texts) is refused with 413 before any work."""

    src_tokens: list[str]
    tgt_tokens: list[str]
    weights: list[list[float]]


class TranslationOut(BaseModel):
    text: str
    score: float | None = None
    alternatives: list[Alternative] = Field(default_factory=list)
    alignment: list[tuple[int, int, int, int]] | None = Field(
        default=None, description="[src_start, src_end, tgt_start, tgt_end] character spans"
    )
    attention: Attention | None = None


class ModelRef(BaseModel):
    id: str
    version: str


class TranslateResponse(BaseModel):
    translations: TranslationOut | list[TranslationOut] = Field(
        description="An object for a string `text`, a list for a list"
    )
    model: ModelRef


class ModelInfo(BaseModel):
    id: str
    pair: str
    source: str
    target: str
    version: str
    quantization: str
    path: str
    loaded_at: str
    parameters: int | None = None
    training_steps: int | None = None
    decoding: dict[str, object]


class ModelsResponse(BaseModel):
    models: list[ModelInfo]


class ReloadRequest(_Strict):
    bundle: str | None = Field(
        default=None,
        description="A bundle folder name under the models folder; none: all configured",
    )


class Swap(BaseModel):
    id: str
    pair: str
    old_version: str | None
    new_version: str


class ReloadResponse(BaseModel):
    reloaded: list[Swap]


class Health(BaseModel):
    status: str
    models: list[ModelRef] = Field(default_factory=list)
