"""GET /api/v1/codes/{code}: parse any code, registered or not."""

from __future__ import annotations

import httpx


async def test_parses_a_qcvn102_code(client: httpx.AsyncClient) -> None:
    """A QCVN 102 code gives its level-1 unit and parents, nearest first."""
    response = await client.get("/api/v1/codes/000.01.18.G12")
    assert response.status_code == 200
    assert response.json() == {
        "raw": "000.01.18.G12",
        "form": "qcvn102",
        "valid": True,
        "key": "000.01.18.G12",
        "level1": "G12",
        "level": 3,
        "parents": ["000.00.18.G12", "000.00.00.G12"],
    }


async def test_parses_an_unregistered_qd20_code(client: httpx.AsyncClient) -> None:
    """A QĐ 20 code parses without being registered; case is normalised in the key."""
    body = (await client.get("/api/v1/codes/h99.dn.001")).json()
    assert (body["form"], body["key"], body["level1"]) == ("qd20", "H99.DN.001", "H99")
    assert body["parents"] == ["H99.DN", "H99"]


async def test_unknown_form_is_reported_not_rejected(client: httpx.AsyncClient) -> None:
    """An id of no known form answers 200 with valid=false."""
    body = (await client.get("/api/v1/codes/vxp.saas.03")).json()
    assert (body["form"], body["valid"]) == ("unknown", False)


async def test_over_long_code_is_a_coded_request_error(client: httpx.AsyncClient) -> None:
    """A code longer than 100 characters is REQUEST_INVALID naming the code parameter."""
    response = await client.get("/api/v1/codes/" + "A" * 101)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "REQUEST_INVALID"
    assert response.json()["error"]["field"] == "code"
