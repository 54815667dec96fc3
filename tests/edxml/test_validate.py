"""Validation rules: codes, severities, paths and policy overrides."""

from __future__ import annotations

from edxml import DocumentPackage, Severity, StatusCode, validate
from edxml.limits import MB, Limits
from edxml.model import Attachment, Business, BusinessDocType
from edxml.validate import Policy
from tests.edxml.corpus.generate import status


def _codes(findings: list) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(f.code, f.severity.value, f.path) for f in findings}


def test_clean_document_has_no_findings(doc_package: DocumentPackage) -> None:
    """The reference document validates with no finding at all."""
    assert validate(doc_package) == []


def test_missing_recipient_organ_id_names_the_field(doc_package: DocumentPackage) -> None:
    """A To without OrganId gives EDXML_REQUIRED at MessageHeader/To[2]/OrganId."""
    doc_package.header.to[1].organ_id = ""
    assert ("EDXML_REQUIRED", "error", "MessageHeader/To[2]/OrganId") in _codes(
        validate(doc_package)
    )


def test_policy_can_downgrade_a_code(doc_package: DocumentPackage) -> None:
    """A node policy may turn an error code into a warning."""
    doc_package.header.subject = "x" * 600
    policy = Policy(severities={"EDXML_LENGTH": Severity.WARNING})
    (finding,) = validate(doc_package, policy)
    assert finding.code == "EDXML_LENGTH"
    assert finding.severity is Severity.WARNING


def test_lengths_are_configurable(doc_package: DocumentPackage) -> None:
    """Length limits come from Limits.max_lengths."""
    policy = Policy(limits=Limits(max_lengths={"Subject": 10}))
    assert {f.code for f in validate(doc_package, policy)} == {"EDXML_LENGTH"}


def test_attachment_size_limit_is_configurable(doc_package: DocumentPackage) -> None:
    """A decoded attachment over max_attachment_bytes gives EDXML_ATTACHMENT_SIZE."""
    doc_package.attachments = [
        Attachment.from_bytes(bytes(2 * MB), content_id="cid:1", attachment_name="a.pdf")
    ]
    found = validate(doc_package, Policy(limits=Limits(max_attachment_bytes=MB)))
    assert [f.code for f in found] == ["EDXML_ATTACHMENT_SIZE"]


def test_reason_rule_for_02_13_16() -> None:
    """Statuses 02, 13 and 16 need a Description; the others do not."""
    for code in StatusCode:
        found = {f.code for f in validate(status(code, None))}
        assert ("STATUS_REASON_REQUIRED" in found) == code.needs_reason


def test_revoke_must_name_its_target(doc_package: DocumentPackage) -> None:
    """A revoke without Bussiness/DocumentId or ResponseFor/DocumentId is an error."""
    doc_package.business = Business(doc_type=BusinessDocType.REVOKE)
    assert ("EDXML_REQUIRED", "error", "TraceHeaderList/Bussiness/DocumentId") in _codes(
        validate(doc_package)
    )


def test_non_canonical_document_id_is_a_warning(doc_package: DocumentPackage) -> None:
    """A UUID DocumentId is accepted with a warning (some gateways send one)."""
    doc_package.header.document_id = "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"
    (finding,) = validate(doc_package)
    assert finding.code == "EDXML_DOCUMENT_ID"
    assert finding.severity is Severity.WARNING


def test_manifest_and_attachment_disagreement_is_a_warning(doc_package: DocumentPackage) -> None:
    """An attachment missing from the manifest is reported, not rejected."""
    doc_package.manifest[0].content_id = "cid:other"
    codes = {(f.code, f.severity) for f in validate(doc_package)}
    assert codes == {("EDXML_MANIFEST", Severity.WARNING)}
