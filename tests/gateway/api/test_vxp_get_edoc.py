"""getEdoc's envelope, written without json.dumps, is byte for byte the one ``ok()`` writes."""

from __future__ import annotations

import base64

from gateway.api.vxp.routes import _EDOC_HEAD, ok


def test_get_edoc_envelope_is_the_ok_envelope() -> None:
    """The hand-joined getEdoc answer equals ok({"data": base64}) for any package bytes."""
    for data in (b"", b"<edXML/>", bytes(range(256)) * 40):
        encoded = base64.b64encode(data)
        expected = ok({"data": encoded.decode("ascii")}).body
        assert b"".join((_EDOC_HEAD, encoded, b'"}')) == expected
