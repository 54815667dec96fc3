"""The VXP directory actions' item lists, from the node's agency registry (vxp-api.md §5.8).

Fields are omitted rather than sent as JSON null (a null inside a list item makes the SDK drop the
whole list, §5). ``code`` is the QĐ 20/2020 form when the agency has one, else its QCVN 102 code;
``oldCode`` / ``code102`` is the QCVN 102 code; ``id`` is the primary code (the real axis's
numeric ids are not known, and the SDK treats ids as opaque strings).
"""

from __future__ import annotations

from typing import Any

from identifiers import Agency, AgencyStatus, Registry


def _base(agency: Agency) -> dict[str, Any]:
    item: dict[str, Any] = {"id": agency.primary, "code": agency.primary, "name": agency.name}
    if agency.email:
        item["mail"] = agency.email
    return item


def _listed(registry: Registry) -> list[Agency]:
    return [a for a in registry.agencies() if a.status is not AgencyStatus.CLOSED]


def agencies_list(registry: Registry) -> list[dict[str, Any]]:
    """``getAgenciesList`` items: id, pid, code, name, mail, oldCode."""
    out = []
    for agency in _listed(registry):
        item = _base(agency)
        if agency.parent:
            item["pid"] = agency.parent
        if agency.code102 and agency.code102 != agency.primary:
            item["oldCode"] = agency.code102
        out.append(item)
    return out


def agencies_list_qd20(registry: Registry) -> list[dict[str, Any]]:
    """``getAgenciesListQD20`` items: id, code, name, mail, code102."""
    out = []
    for agency in _listed(registry):
        item = _base(agency)
        if agency.code102:
            item["code102"] = agency.code102
        out.append(item)
    return out


def synchronize_unit(registry: Registry) -> list[dict[str, Any]]:
    """``getSynchronizeUnit`` items: closed agencies are listed with ``deleted`` true."""
    out = []
    for agency in registry.agencies():
        item = _base(agency)
        if agency.parent:
            item["pid"] = agency.parent
        item["version"] = len(agency.history) or 1
        item["deleted"] = agency.status is AgencyStatus.CLOSED
        item["isAgency"] = True
        if agency.history:
            item["modifyDate"] = agency.history[-1].on.isoformat()
        out.append(item)
    return out
