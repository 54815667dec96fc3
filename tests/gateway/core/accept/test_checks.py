"""The checks of a send that need no store: size, kind, sender, the idempotency key."""

from __future__ import annotations

import pytest

from edxml import BusinessDocType
from gateway.core.accept.checks import (
    business_type,
    check_package,
    check_sender,
    check_size,
    dedup_key,
)
from gateway.core.accept.request import AcceptConfig
from gateway.core.errors import NotAllowed, PackageRefused
from gateway.core.model import MessageType, System
from tests.scenarios.exchange.packages import document, status

H14, H41 = "000.00.00.H14", "000.00.00.H41"
CONFIG = AcceptConfig(node_id="000.00.00.H14")


def test_a_package_over_the_limit_is_refused_before_it_is_read() -> None:
    """EDXML_TOO_LARGE names the body."""
    small = AcceptConfig(node_id="n", limits=CONFIG.limits.__class__(max_package_bytes=10))
    with pytest.raises(PackageRefused) as caught:
        check_size(b"x" * 11, small)
    assert (caught.value.code, caught.value.field) == ("EDXML_TOO_LARGE", "body")


def test_the_kind_must_match_messagetype() -> None:
    """A document sent as a status is refused with PACKAGE_KIND on messagetype."""
    with pytest.raises(PackageRefused) as caught:
        check_package(document(H14, (H41,)), MessageType.STATUS, CONFIG)
    assert (caught.value.code, caught.value.field) == ("PACKAGE_KIND", "messagetype")


def test_a_valid_document_passes_with_its_attachments_hashed() -> None:
    """The checked package is a new document with one attachment's size and digest."""
    checked = check_package(document(H14, (H41,)), MessageType.EDOC, CONFIG)
    assert business_type(checked.package) is BusinessDocType.NEW  # type: ignore[arg-type]
    assert all(a.sha256 and a.size for a in checked.attachments)


def test_the_sender_must_be_one_the_caller_may_act_for() -> None:
    """SENDER_NOT_GRANTED names the parameter or From/OrganId that is not granted."""
    checked = check_package(document(H14, (H41,)), MessageType.EDOC, CONFIG)
    caller = System("sys-a", ("H14",))
    assert check_sender(caller, H14, checked.package, lambda code: code == H14) == H14
    with pytest.raises(NotAllowed) as caught:
        check_sender(caller, H41, checked.package, lambda code: code == H14)
    assert (caught.value.code, caught.value.field) == ("SENDER_NOT_GRANTED", "from")


def test_new_documents_have_an_idempotency_key_statuses_do_not() -> None:
    """Same sender + DocumentId + operation is one send; a status is de-duplicated by bytes."""
    checked = check_package(document(H14, (H41,), number="5"), MessageType.EDOC, CONFIG)
    key = dedup_key(checked.package, H14)
    assert key is not None
    assert key.startswith("000.00.00.H14|0|")
    notice = check_package(status("01", document_id="x"), MessageType.STATUS, CONFIG)
    assert dedup_key(notice.package, H41) is None
