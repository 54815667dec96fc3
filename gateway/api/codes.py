"""``GET /api/v1/codes/{code}``: parse an agency code without needing it registered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from gateway.api.errors import ERROR_RESPONSES
from gateway.directory import parse_code
from schemas.codes import ParsedCode

router = APIRouter(prefix="/codes", tags=["agencies"], responses=ERROR_RESPONSES)

#: Longest code accepted in a path (edxml.md §2: OrganId is at most 50 characters).
MAX_CODE_LENGTH = 100
CodePath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_CODE_LENGTH,
        description="An agency code in any form: G12, 000.00.00.G12, 0100107370, vxp.saas.03",
        examples=["000.00.18.G12"],
    ),
]


@router.get("/{code}", response_model=ParsedCode, summary="Parse an agency code")
async def parse(code: CodePath) -> ParsedCode:
    """Form, level-1 unit, structural parents and normalised key of ``code``.

    Never rejects a code for its format: ids of no known form come back with ``valid: false``.
    """
    return parse_code(code)
