"""/api/v1/agencies: lookups by either code form with succession, listing and search."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("code", ["G12", "000.00.00.G12", "g12"])
async def test_lookup_by_either_code_form(client: httpx.AsyncClient, code: str) -> None:
    """Both forms (and any case) of a code find the same agency record."""
    response = await client.get(f"/api/v1/agencies/{code}")
    assert response.status_code == 200
    body = response.json()
    assert (body["agency"]["code"], body["agency"]["code102"]) == ("G12", "000.00.00.G12")
    assert body["agency"]["name"] == "Bộ Tài chính"
    assert body["requested"]["raw"] == code
    assert body["resolution"]["outcome"] == "found"
    assert body["resolution"]["redirects"] == []


async def test_lookup_shows_the_succession_redirect(client: httpx.AsyncClient) -> None:
    """A merged agency shows its own record, the redirect followed and the successor."""
    response = await client.get("/api/v1/agencies/000.00.94.H14", params={"at": "2025-07-01"})
    assert response.status_code == 200
    body = response.json()
    assert body["agency"]["code"] == "H14.94"
    assert body["agency"]["status"] == "closed"
    resolution = body["resolution"]
    assert resolution["at"] == "2025-07-01"
    assert resolution["outcome"] == "found"
    assert resolution["code"] == "H14.95"
    assert resolution["redirects"] == [
        {"from": "H14.94", "to": "H14.95", "effective": "2025-03-01"}
    ]
    assert resolution["agency"]["code102"] == "000.00.95.H14"


async def test_lookup_before_the_merger_date_is_not_redirected(client: httpx.AsyncClient) -> None:
    """Before the effective date a closed-to-be agency is still itself."""
    body = (await client.get("/api/v1/agencies/H14.94", params={"at": "2025-02-28"})).json()
    assert body["resolution"]["code"] == "H14.94"
    assert body["resolution"]["redirects"] == []


async def test_unknown_code_is_a_coded_404(client: httpx.AsyncClient) -> None:
    """An unregistered code answers 404 AGENCY_UNKNOWN naming the code."""
    response = await client.get("/api/v1/agencies/000.00.99.H99")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "AGENCY_UNKNOWN"
    assert error["field"] == "code"
    assert "000.00.99.H99" in error["message"]


async def test_bad_date_is_request_invalid(client: httpx.AsyncClient) -> None:
    """A malformed at= date is REQUEST_INVALID naming the at parameter."""
    response = await client.get("/api/v1/agencies/G12", params={"at": "01/07/2025"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "at"


async def test_list_filters_by_subtree_and_paginates(client: httpx.AsyncClient) -> None:
    """under= keeps one province's subtree; limit/offset page it with a stable total."""
    everything = (
        await client.get("/api/v1/agencies", params={"under": "H14", "limit": 500})
    ).json()
    codes = [item["code"] for item in everything["items"]]
    assert everything["total"] == len(codes) >= 4
    assert all(code.startswith("H14") for code in codes)
    page = (
        await client.get("/api/v1/agencies", params={"under": "H14", "limit": 2, "offset": 2})
    ).json()
    assert (page["total"], page["limit"], page["offset"]) == (everything["total"], 2, 2)
    assert [item["code"] for item in page["items"]] == codes[2:4]


async def test_list_search_ignores_case_and_diacritics(client: httpx.AsyncClient) -> None:
    """q= matches words of the name without diacritics, within the subtree."""
    response = await client.get("/api/v1/agencies", params={"q": "so noi vu", "under": "H41"})
    body = response.json()
    assert body["total"] == 1
    assert body["items"][0]["name"] == "Sở Nội vụ tỉnh Nghệ An [DEMO]"


async def test_list_without_filters_pages_the_whole_registry(client: httpx.AsyncClient) -> None:
    """With no filter the default page holds up to 50 agencies and the total counts all."""
    body = (await client.get("/api/v1/agencies")).json()
    assert body["limit"] == 50
    assert body["offset"] == 0
    assert len(body["items"]) == min(50, body["total"])


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"offset": -1}, "offset")],
)
async def test_list_refuses_bad_page_bounds(
    client: httpx.AsyncClient, params: dict[str, int], field: str
) -> None:
    """Out-of-range limit/offset is a coded 422 naming the parameter."""
    response = await client.get("/api/v1/agencies", params=params)
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "REQUEST_INVALID",
        "message": response.json()["error"]["message"],
        "field": field,
        "request_id": response.headers["X-Request-ID"],
    }
    assert field in response.json()["error"]["message"]
