"""Body of ``GET /api/v1/codes/{code}``: an agency code parsed, registered or not."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Forms of an agency code (agency-codes.md §1–2); ``unknown`` ids are kept, never rejected.
CodeFormName = Literal["qcvn102", "qd20", "tax", "scheme", "unknown"]


class ParsedCode(BaseModel):
    """An agency code read into its parts."""

    model_config = ConfigDict(frozen=True)

    raw: str = Field(description="The code as given, surrounding whitespace stripped.")
    form: CodeFormName = Field(description="qcvn102, qd20, tax, scheme or unknown.")
    valid: bool = Field(description="True when the code has one of the known forms.")
    key: str = Field(description="Normalised key (upper-case for the known forms).")
    level1: str | None = Field(description="The level-1 unit MX1X2, e.g. H14.", examples=["G12"])
    level: int | None = Field(description="Depth in the hierarchy, when the form defines one.")
    parents: list[str] = Field(description="Structural parent codes, nearest first.")
