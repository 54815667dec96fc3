"""Agency codes (mã định danh): both code forms, the registry, succession, CSV/JSON files.

Standard library only (design.md §2). Quick tour::

    from identifiers import AgencyCode, Registry

    AgencyCode.parse("000.00.18.G12").level1      # "G12"
    registry = Registry.load_default()
    registry.get("G12") is registry.get("000.00.00.G12")   # True: one record, two forms
    registry.resolve("H14.94").code                # successor after the demo merger
"""

from identifiers.agency import Agency, AgencyStatus, EventKind, HistoryEvent
from identifiers.code import ADMINISTRATIVE_FORMS, AgencyCode, CodeForm, owns
from identifiers.errors import (
    AgencyDuplicate,
    AgencyInUse,
    AgencyInvalid,
    AgencyUnknown,
    IdentifierError,
    RegistryFileError,
    RegistryFormatError,
    SuccessionCycle,
    SuccessionTooLong,
)
from identifiers.registry import VN_TZ, Registry, vietnam_today
from identifiers.succession import MAX_SUCCESSION_HOPS, Redirect, Resolution, ResolutionOutcome

__all__ = [
    "ADMINISTRATIVE_FORMS",
    "MAX_SUCCESSION_HOPS",
    "VN_TZ",
    "Agency",
    "AgencyCode",
    "AgencyDuplicate",
    "AgencyInUse",
    "AgencyInvalid",
    "AgencyStatus",
    "AgencyUnknown",
    "CodeForm",
    "EventKind",
    "HistoryEvent",
    "IdentifierError",
    "Redirect",
    "Registry",
    "RegistryFileError",
    "RegistryFormatError",
    "Resolution",
    "ResolutionOutcome",
    "SuccessionCycle",
    "SuccessionTooLong",
    "owns",
    "vietnam_today",
]
