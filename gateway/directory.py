"""The agency directory: the node's read side of the agency registry.

Loads the registry the settings name (bundled codes or an operator's CSV/JSON file) and answers the
questions of the native API and the CLI: look an agency up by either code form with where its
traffic goes (succession followed), search and page through registered agencies, parse a code.
Results are the REST models of :mod:`schemas`: this is the edge where registry dataclasses become
API bodies.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache
from pathlib import Path

from gateway.settings import Settings
from identifiers import Agency, AgencyCode, Registry
from schemas.agencies import AgencyLookup, AgencyPage, AgencyRecord, Resolution
from schemas.codes import ParsedCode

#: Default and largest page size of :meth:`AgencyDirectory.search`.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def live_registry_path(settings: Settings) -> Path:
    """Where the node saves registry changes made through the API (``<data_dir>/registry.json``)."""
    return settings.data_dir / "registry.json"


def load_registry(settings: Settings) -> Registry:
    """The registry of ``settings.registry_file`` (CSV or JSON), else the node's saved registry
    (changes made by ``registerAgency``/``deleteAgency``), else the bundled one.

    Raises :class:`identifiers.IdentifierError` (``REGISTRY_FILE``, ``REGISTRY_FORMAT``,
    ``AGENCY_*``) naming the file location of the first bad record.
    """
    if settings.registry_file is not None:
        return Registry.load(settings.registry_file)
    saved = live_registry_path(settings)
    if saved.is_file():
        return Registry.load(saved)
    return Registry.load_default()


def save_registry(settings: Settings, registry: Registry) -> None:
    """Save the live registry: to ``registry_file`` when set, else to the data directory.

    Written to a temporary file first and renamed, so a crash never leaves half a registry.
    """
    target = settings.registry_file or live_registry_path(settings)
    csv = target.suffix.lower() == ".csv"
    text = registry.to_csv_text() if csv else registry.to_json_text()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)


@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Fold ``text`` for matching: case-insensitive and without Vietnamese diacritics.

    ``"UBND tỉnh Cao Bằng"`` and ``"ubnd tinh cao bang"`` fold to the same string. ``đ``/``Đ`` is a
    letter of its own, not ``d`` with a mark, so Unicode decomposition leaves it: map it by hand.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _matches(agency: Agency, terms: list[str]) -> bool:
    """True when every term occurs in the agency's name or one of its codes (folded)."""
    haystack = " ".join((fold(agency.name), *(fold(code) for code in agency.codes)))
    return all(term in haystack for term in terms)


def parse_code(raw: str) -> ParsedCode:
    """Parse ``raw`` in any form, registered or not (never fails: unknown ids are kept)."""
    return ParsedCode.model_validate(AgencyCode.parse(raw).to_dict())


def agency_record(agency: Agency) -> AgencyRecord:
    """The REST form of a registry record."""
    return AgencyRecord.model_validate(agency.to_dict())


class AgencyDirectory:
    """Read-only queries over one :class:`identifiers.Registry`."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def lookup(self, code: str, at: date | None = None) -> AgencyLookup:
        """The agency registered under ``code`` (either form) and where its traffic goes on ``at``.

        ``at`` defaults to today in Vietnam. Raises :class:`identifiers.AgencyUnknown` (field
        ``code``) when no agency is registered under ``code``.
        """
        agency = self.registry.require(code)
        resolution = self.registry.resolve(code, at)
        return AgencyLookup(
            requested=parse_code(code),
            agency=agency_record(agency),
            resolution=Resolution.model_validate(resolution.to_dict()),
        )

    def search(
        self,
        *,
        under: str | None = None,
        q: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
    ) -> AgencyPage:
        """One page of registered agencies, in registry order.

        ``under`` keeps the subtree of an owner code (``H14`` or ``000.00.00.H14``: the agency and
        everything below it); ``q`` keeps agencies whose name or codes contain every word of it,
        ignoring case and diacritics. ``total`` counts every match, not only this page.
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if offset < 0:
            raise ValueError("offset must not be negative")
        agencies = self.registry.subtree(under) if under else self.registry.agencies()
        terms = fold(q).split() if q else []
        if terms:
            agencies = [agency for agency in agencies if _matches(agency, terms)]
        page = agencies[offset : offset + limit]
        return AgencyPage(
            total=len(agencies),
            limit=limit,
            offset=offset,
            items=[agency_record(agency) for agency in page],
        )
