"""``/api/v1/agencies``: look up and list registered agencies."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from gateway.api.codes import MAX_CODE_LENGTH, CodePath
from gateway.api.dependencies import DirectoryDep
from gateway.api.errors import ERROR_RESPONSES
from gateway.directory import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schemas.agencies import AgencyLookup, AgencyPage
from schemas.errors import ErrorBody

router = APIRouter(prefix="/agencies", tags=["agencies"], responses=ERROR_RESPONSES)


@router.get("", response_model=AgencyPage, summary="List or search registered agencies")
async def list_agencies(
    directory: DirectoryDep,
    under: Annotated[
        str | None,
        Query(
            max_length=MAX_CODE_LENGTH,
            description="Only this agency's subtree (itself included), by either code form.",
            examples=["H14"],
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words to find in the name or codes; case and diacritics ignored.",
            examples=["cao bang"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AgencyPage:
    """One page of registered agencies in registry order, with the total number of matches."""
    return directory.search(under=under, q=q, limit=limit, offset=offset)


@router.get(
    "/{code}",
    response_model=AgencyLookup,
    summary="Look up an agency by either code form",
    responses={404: {"model": ErrorBody, "description": "AGENCY_UNKNOWN: nothing registered."}},
)
async def get_agency(
    directory: DirectoryDep,
    code: CodePath,
    at: Annotated[
        date | None,
        Query(description="Resolve succession as of this date (default: today in Vietnam)."),
    ] = None,
) -> AgencyLookup:
    """The agency registered under ``code`` and where traffic addressed to it goes.

    A closed agency with a successor shows the redirects followed and the effective agency.
    """
    return directory.lookup(code, at)
