"""One source text of a catalog entry, prepared for the model and finished after it.

Leading and trailing line breaks are taken off and put back exactly (gettext requires a
translation to begin and end with `\\n` exactly when its msgid does), and the accelerator
marker is taken out and placed once in the translation (`accelerators`).
"""

from __future__ import annotations

import dataclasses

from nmt.files.accelerators import Accelerator, place_accelerator, strip_accelerator


@dataclasses.dataclass(frozen=True, slots=True)
class Form:
    """`core` is what the model translates: `source` without the line breaks at its ends
    (`lead`, `trail`) and without its accelerator marker."""

    source: str
    core: str
    lead: str
    trail: str
    accelerator: Accelerator | None

    @property
    def blank(self) -> bool:
        """Nothing to translate: the translation is the source itself."""
        return not self.core.strip()


def prepare(source: str, markers: str) -> Form:
    body = source.strip("\r\n")
    lead = source[: len(source) - len(source.lstrip("\r\n"))] if body else source
    trail = source[len(lead) + len(body) :]
    core, accelerator = strip_accelerator(body, markers) if markers else (body, None)
    return Form(source, core, lead, trail, accelerator)


def finish(form: Form, translation: str) -> str:
    """The catalog's translation of `form` from the model's translation of `form.core`."""
    if form.blank:
        return form.source
    if form.accelerator is not None:
        translation = place_accelerator(translation, form.accelerator)
    return form.lead + translation + form.trail
