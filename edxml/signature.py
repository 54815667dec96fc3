"""XML-DSig on edXML packages: classify every signature that arrives, sign what the node emits.

spec/edxml.md §5: packages circulate unsigned, with the SDK's placeholder signature, or with a real
enveloped signature over the whole package. :func:`classify` sorts them into
:class:`SignatureClass` values; policy (:class:`SignaturePolicy`) decides what is rejected.

Two stages keep the common case cheap:

1. *Inspection* of the already-parsed header (an :class:`~edxml.xmlsafe.XmlDocument` with lifted
   payloads): where the ``Signature`` is, whether it is XML-DSig at all, whether its value is a
   known placeholder, whether its certificate parses, and whether ``SignedInfo`` is acceptable.
   Most packages seen on the axes end here (absent or placeholder).
2. *Verification* of a signature that might really verify, on ``data`` itself read again:
   usually by :mod:`edxml.lifted`, which reaches signxml's verdict without parsing or copying the
   attachments; otherwise the whole package is parsed with :func:`~edxml.xmlsafe.read_xml`
   (``lift_payloads=False``) and handed to signxml with the embedded certificate. Only what
   verification returns is trusted (shared/design.md §3 habit 5): the signature must cover the
   whole package (signature-wrapping defence), then the certificate must chain to the node's
   :class:`~edxml.trust.TrustStore`.

This module is stage 2 and :func:`classify`, the entry point; the rest lives in one module per
concept, and every public name is importable from here as before:

- :mod:`edxml.verdict`: :class:`SignatureClass`, :class:`SignatureReason`,
  :class:`SignatureVerdict`, :class:`SignaturePolicy`, the accepted algorithms;
- :mod:`edxml.inspection`: stage 1;
- :mod:`edxml.signing`: :class:`Signer` and :func:`sign_package`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from edxml.errors import PackageRejected
from edxml.inspection import Candidate, examine, verdict_of
from edxml.lifted import LiftedResult, Unsupported, plain_document, verify_lifted
from edxml.limits import DEFAULT_LIMITS, Limits
from edxml.signing import Signer, sign_package
from edxml.trust import TrustStore, check_chain
from edxml.verdict import (
    DEFAULT_SIGNATURE_POLICY,
    DSIG_NS,
    KNOWN_PLACEHOLDER_VALUES,
    SDK_PLACEHOLDER_SIGNATURE_VALUE,
    SignatureClass,
    SignaturePolicy,
    SignatureReason,
    SignatureVerdict,
    accepted_algorithms,
)
from edxml.xmlsafe import XmlDocument, hardened_parser, local_name, read_xml

__all__ = [
    "DEFAULT_SIGNATURE_POLICY",
    "DSIG_NS",
    "KNOWN_PLACEHOLDER_VALUES",
    "SDK_PLACEHOLDER_SIGNATURE_VALUE",
    "SignatureClass",
    "SignaturePolicy",
    "SignatureReason",
    "SignatureVerdict",
    "Signer",
    "TrustStore",
    "classify",
    "sign_package",
]

_DS = f"{{{DSIG_NS}}}"


# --------------------------------------------------------------------------------------------
# Stage 2: verification


def _norm(text: str | None) -> str:
    # Whitespace around markup is layout (a removed signature or a comment leaves some behind).
    if not text:
        return ""
    return text.strip() if text[0].isspace() or text[-1].isspace() else text


def _content_difference(
    received: etree._Element, skip: etree._Element, signed: etree._Element
) -> str | None:
    """Compare the package as received (minus its signature) with what verification returned.

    Element by element in document order: tag, attributes, and the text a reader sees through
    ``.text``/``.tail``. A comment or processing instruction (not signed under c14n without
    comments) that splits a text node makes ``.text`` differ from the signed text and is caught
    here. Returns a description of the first difference, or None when they match.
    """
    # Elements only (libxml2 filters); the signature's subtree is one contiguous run of them.
    mine = list(received.iter(etree.Element))
    at = mine.index(skip)
    del mine[at : at + sum(1 for _ in skip.iter(etree.Element))]
    theirs = list(signed.iter(etree.Element))
    if len(mine) != len(theirs):
        return f"{len(mine)} elements received, {len(theirs)} signed"
    for a, b in zip(mine, theirs, strict=True):
        if a.tag != b.tag:
            return f"element {local_name(a.tag)} received where {local_name(b.tag)} was signed"
        # c14n sorts attributes: compare them as mappings.
        if (len(a.attrib) or len(b.attrib)) and dict(a.attrib.items()) != dict(b.attrib.items()):
            return f"attributes of {local_name(a.tag)} differ from the signed ones"
        text, signed_text = a.text, b.text
        if text != signed_text and _norm(text) != _norm(signed_text):
            return (
                f"text of {local_name(a.tag)} differs from the signed text "
                "(split by a comment or PI?)"
            )
        tail, signed_tail = a.tail, b.tail
        if a is not received and tail != signed_tail and _norm(tail) != _norm(signed_tail):
            return f"text after {local_name(a.tag)} differs from the signed text"
    return None


class _TreeVerifier(XMLVerifier):
    """signxml's verifier, working on the tree :func:`read_xml` already parsed and vetted.

    signxml's own ``get_root`` re-serialises an element and parses it again (one more copy of
    the whole package, ~1x its size in memory and a full parse of time). It only ever reads the
    root it gets (it copies before removing the enveloped signature), so our vetted tree is
    handed over as is. Bytes never reach signxml's parser.
    """

    def get_root(self, data: Any) -> etree._Element:
        if not isinstance(data, etree._Element):
            raise TypeError("_TreeVerifier verifies an element parsed by read_xml")
        return data


def _moment(leaf: x509.Certificate, now: datetime) -> datetime:
    # Validity dates are the trust stage's business (it says *untrusted*, not *invalid*): the
    # mathematics are checked at a moment inside the certificate's validity period.
    return min(max(now, leaf.not_valid_before_utc), leaf.not_valid_after_utc)


def _with_signxml(
    root: etree._Element, cand: Candidate, policy: SignaturePolicy, now: datetime
) -> Any:
    """Verify the whole tree with signxml (the reference implementation)."""
    algorithms = accepted_algorithms(policy.allow_sha1)
    config = SignatureConfiguration(
        require_x509=True,
        location=".//",  # examine made sure there is exactly one, and where it is
        expect_references=1,
        signature_methods=algorithms.signature_methods,
        digest_algorithms=algorithms.digest_algorithms,
        verification_time=_moment(cand.leaf, now),
    )
    return _TreeVerifier().verify(
        root,
        x509_cert=cand.leaf,  # the embedded certificate: signxml does no CA lookup of its own
        parser=hardened_parser(huge=True),
        expect_config=config,
        validate_schema=True,
    )


def _verify(
    received: etree._Element, cand: Candidate, run: Callable[[], Any]
) -> SignatureVerdict | None:
    """Stage 2: run a verification (signxml's or the lifted one) and judge what it returns.

    ``received`` is the tree ``run`` verifies; the verdict is None when it verified. Raises
    :class:`~edxml.lifted.Unsupported` from the lifted verification (the caller falls back).
    """

    def fail(reason: SignatureReason, message: str) -> SignatureVerdict:
        return verdict_of(SignatureClass.INVALID, reason, message, cand.info)

    try:
        result = run()
    except Unsupported:
        raise
    except InvalidDigest as exc:
        return fail(
            SignatureReason.DIGEST_MISMATCH, f"the package was altered after signing: {exc}"
        )
    except InvalidCertificate as exc:
        return fail(SignatureReason.CERT_INVALID, str(exc))
    except InvalidSignature as exc:
        return fail(SignatureReason.BAD_VALUE, f"SignatureValue does not verify: {exc}")
    except InvalidInput as exc:
        if "forbidden by configuration" in str(exc):
            return fail(SignatureReason.ALGORITHM, str(exc))
        if "different public keys" in str(exc):
            return fail(SignatureReason.KEY_MISMATCH, str(exc))
        return fail(SignatureReason.MALFORMED, str(exc))
    except etree.DocumentInvalid as exc:
        return fail(
            SignatureReason.MALFORMED, f"Signature does not match the XML-DSig schema: {exc}"
        )
    except Exception as exc:
        # signxml trips over some hostile shapes with plain Python errors; classification must
        # stay total, and "does not verify" is the truthful answer.
        return fail(SignatureReason.VERIFY_ERROR, f"{type(exc).__name__}: {exc}")

    # Signature-wrapping defence: trust only what verification returns, and only if it is the
    # whole package minus the signature itself.
    if not isinstance(result, VerifyResult | LiftedResult) or result.signed_xml is None:
        return fail(SignatureReason.WRAPPING, "verification returned no signed document")
    refs = result.signature_xml.findall(f"{_DS}SignedInfo/{_DS}Reference")
    if len(refs) != 1 or refs[0].get("URI") != "":
        return fail(SignatureReason.WRAPPING, "the verified reference is not the whole package")
    difference = _content_difference(received, cand.signature, result.signed_xml)
    if difference is not None:
        return fail(
            SignatureReason.WRAPPING,
            f"what was verified is not the package as received: {difference}",
        )
    expected_key = cand.leaf.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if result.signature_key != expected_key:
        return fail(
            SignatureReason.KEY_MISMATCH, "verified with a key other than the certificate's"
        )
    return None


def _check_lifted(
    data: bytes, limits: Limits, policy: SignaturePolicy, now: datetime
) -> SignatureVerdict | Candidate | None:
    """Stage 2 without parsing the payloads (:mod:`edxml.lifted`); None: signxml must decide.

    Reaches the verdict the whole-package path would (tests/edxml/test_lifted.py), at the cost
    of a header parse, a character scan and a hash of the payloads, with no copy of them.
    """
    try:
        # Our own read of the bytes: nothing of a caller's tree is trusted.
        mine = read_xml(data, limits)
    except PackageRejected:
        return None
    # Before any verdict: with other characters in a payload the whole-package read might fail
    # where this one succeeded, and the verdicts would differ.
    plain = plain_document(mine)
    if plain is None:
        return None
    cand = examine(mine.root, mine.notes, policy)
    if isinstance(cand, SignatureVerdict):
        return cand
    algorithms = accepted_algorithms(policy.allow_sha1)
    run = partial(
        verify_lifted,
        plain,
        cand.signature,
        cand.leaf,
        signature_methods=algorithms.signature_methods,
        digest_algorithms=algorithms.digest_algorithms,
        moment=_moment(cand.leaf, now),
    )
    try:
        failure = _verify(mine.root, cand, run)
    except Unsupported:
        return None
    return cand if failure is None else failure


def _check_whole(
    data: bytes, limits: Limits, policy: SignaturePolicy, now: datetime, info: dict[str, Any]
) -> SignatureVerdict | Candidate:
    """Stage 2 on the whole package, verified by signxml."""
    try:
        full = read_xml(data, limits, lift_payloads=False)
    except PackageRejected as exc:
        return verdict_of(
            SignatureClass.INVALID,
            SignatureReason.PACKAGE_UNPARSEABLE,
            f"the whole package cannot be read for verification: {exc}",
            info,
        )
    # Inspect the full tree again: the verdict must rest on the bytes, not on a caller's tree.
    cand = examine(full.root, full.notes, policy)
    if isinstance(cand, SignatureVerdict):
        return cand
    failure = _verify(full.root, cand, partial(_with_signxml, full.root, cand, policy, now))
    return cand if failure is None else failure


def _aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def classify(
    data: bytes,
    trust: TrustStore | None = None,
    *,
    doc: XmlDocument | None = None,
    limits: Limits = DEFAULT_LIMITS,
    policy: SignaturePolicy | None = None,
    now: datetime | None = None,
) -> SignatureVerdict:
    """Classify the signature of an edXML package (spec/edxml.md §5).

    ``doc`` is the package already read with :func:`~edxml.xmlsafe.read_xml` (lifted payloads),
    used for the cheap checks; when a signature might really verify, ``data`` itself is read again
    and verified (docs/signatures.md, stage 2) — nothing of ``doc`` is trusted for a ``valid``
    verdict. ``trust`` None or
    empty: a signature that verifies is ``untrusted``. ``now`` (timezone-aware; default: the
    current time) is when certificate validity is judged.

    Never raises on hostile input, except the :class:`~edxml.errors.PackageRejected` family that
    :func:`read_xml` raises when ``doc`` is None and ``data`` is not acceptable XML at all.
    """
    moment = _aware_now(now)
    policy = policy or DEFAULT_SIGNATURE_POLICY
    if doc is None:
        doc = read_xml(data, limits)
    try:
        return _classify(data, doc, trust, limits, policy, moment)
    except Exception as exc:
        # Last line of defence: classification is total. Reaching this is a bug worth a report,
        # but a hostile package must not turn it into an outage.
        return SignatureVerdict(
            klass=SignatureClass.INVALID,
            reason=SignatureReason.VERIFY_ERROR.value,
            message=f"unexpected {type(exc).__name__} while classifying: {exc}",
        )


def _classify(
    data: bytes,
    doc: XmlDocument,
    trust: TrustStore | None,
    limits: Limits,
    policy: SignaturePolicy,
    now: datetime,
    *,
    lifted: bool = True,
) -> SignatureVerdict:
    first = examine(doc.root, doc.notes, policy)
    if isinstance(first, SignatureVerdict):
        return first
    # Only a signature that might really verify pays for stage 2. ``lifted=False`` forces the
    # reference path (signxml on the whole package), which tests compare the lifted one with.
    checked = _check_lifted(data, limits, policy, now) if lifted else None
    if checked is None:
        checked = _check_whole(data, limits, policy, now, first.info)
    if isinstance(checked, SignatureVerdict):
        return checked
    cand = checked
    chain = check_chain(
        cand.leaf,
        cand.others,
        trust,
        now=now,
        check_dates=policy.check_validity_dates,
        max_depth=policy.max_chain_depth,
    )
    if chain.reason is None:
        return verdict_of(SignatureClass.VALID, None, chain.message, cand.info)
    return verdict_of(
        SignatureClass.UNTRUSTED, SignatureReason(chain.reason), chain.message, cand.info
    )
