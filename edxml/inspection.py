"""Stage 1 of classification: inspect a parsed package's signature without verifying it.

Where the ``Signature`` is, whether it is XML-DSig at all, whether its value is a known
placeholder, whether its certificate parses, and whether ``SignedInfo`` is acceptable
(spec/edxml.md §5). Most packages seen on the axes end here (absent or placeholder); a signature
that might really verify comes out as a :class:`Candidate` for stage 2 (:mod:`edxml.signature`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from lxml import etree

from edxml.trust import CertificateFacts, certificate_facts, pick_leaf
from edxml.verdict import (
    ALLOWED_TRANSFORMS,
    C14N_METHODS,
    DSIG_NS,
    ENVELOPED_TRANSFORM,
    SignatureClass,
    SignaturePolicy,
    SignatureReason,
    SignatureVerdict,
    accepted_algorithms,
)
from edxml.xmlsafe import local_name

_DS = f"{{{DSIG_NS}}}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A signature that passed inspection and might really verify."""

    signature: etree._Element
    leaf: x509.Certificate
    others: tuple[x509.Certificate, ...]
    info: dict[str, Any] = field(default_factory=dict)


def _cert_info(facts: CertificateFacts) -> dict[str, Any]:
    return {
        "subject": facts.subject,
        "issuer": facts.issuer,
        "serial": facts.serial,
        "not_before": facts.not_before,
        "not_after": facts.not_after,
        "cert_sha256": facts.sha256,
    }


def verdict_of(
    klass: SignatureClass, reason: SignatureReason | None, message: str, info: Mapping[str, Any]
) -> SignatureVerdict:
    """A verdict of ``klass`` for ``reason``, with the certificate facts gathered in ``info``."""
    return SignatureVerdict(
        klass=klass, reason=None if reason is None else reason.value, message=message, **info
    )


def locate_signatures(root: etree._Element, *, lenient: bool = True) -> list[etree._Element]:
    """Every signature of the package: ``Signature`` children of ``edXMLHeader`` (by local name,
    spec/edxml.md §1: the SDK's one inherits the QCVN namespace) and XML-DSig ``Signature``
    elements anywhere else (nested ones included).

    ``lenient``: the tree may hold ``prefix:Name`` tags (undeclared prefixes recovered), which
    only a Python walk comparing local names finds; otherwise libxml2 filters by tag."""
    if lenient:
        headers: Iterable[etree._Element] = (
            el for el in root.iter() if local_name(el.tag) == "edXMLHeader"
        )
        found = [child for h in headers for child in h if local_name(child.tag) == "Signature"]
    else:
        found = [
            child for h in root.iter("{*}edXMLHeader") for child in h.iterchildren("{*}Signature")
        ]
    found.extend(el for el in root.iter(f"{_DS}Signature") if el not in found)
    return found


def _well_placed(signature: etree._Element, root: etree._Element) -> bool:
    """spec/edxml.md §1: the last child of edXMLHeader. Tolerated: an XML-DSig Signature as a
    direct child of the root, where generic XML-DSig tools put enveloped signatures — with
    ``URI=""`` the signature covers the same bytes wherever it sits."""
    parent = signature.getparent()
    if parent is None:
        return False
    if local_name(parent.tag) == "edXMLHeader":
        return True
    return parent is root and signature.tag == f"{_DS}Signature"


def _namespace_of(element: etree._Element) -> str | None:
    """The element's namespace URI; None for none, or a prefix the parser left unbound."""
    tag = element.tag
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:].partition("}")[0]
    return None


def examine(
    root: etree._Element, notes: list[tuple[str, str]], policy: SignaturePolicy
) -> SignatureVerdict | Candidate:
    """Stage 1: decide everything that can be decided without verifying."""
    info: dict[str, Any] = {}
    found = locate_signatures(root, lenient=any(code == "EDXML_NAMESPACE" for code, _ in notes))
    if not found:
        return verdict_of(SignatureClass.ABSENT, None, "the package carries no signature", info)
    if len(found) > 1:
        return verdict_of(
            SignatureClass.INVALID,
            SignatureReason.MULTIPLE,
            f"the package carries {len(found)} signatures; exactly one is allowed",
            info,
        )
    sig = found[0]
    if not _well_placed(sig, root):
        return verdict_of(
            SignatureClass.INVALID,
            SignatureReason.LOCATION,
            "the XML-DSig Signature is neither in edXMLHeader nor a child of the root",
            info,
        )
    if sig.tag != f"{_DS}Signature":
        # The SDK's unprefixed <Signature> inherits the QCVN namespace: not XML-DSig at all.
        return verdict_of(
            SignatureClass.PLACEHOLDER,
            SignatureReason.NOT_XMLDSIG,
            f"Signature is in namespace {_namespace_of(sig) or '(none)'}, "
            "not XML-DSig: it cannot verify",
            info,
        )
    signed_info = sig.find(f"{_DS}SignedInfo")
    if signed_info is not None:
        method = signed_info.find(f"{_DS}SignatureMethod")
        digest = signed_info.find(f"{_DS}Reference/{_DS}DigestMethod")
        info["signature_algorithm"] = None if method is None else method.get("Algorithm")
        info["digest_algorithm"] = None if digest is None else digest.get("Algorithm")

    # Certificates first, so that even a placeholder verdict names the claimed signer.
    texts = [
        el.text or "" for el in sig.iterfind(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate")
    ]
    facts: list[CertificateFacts] = []
    unparseable: str | None = None
    for text in texts:
        try:
            facts.append(certificate_facts(text))
        except (ValueError, TypeError):
            unparseable = text.strip()[:16]
            break
    leaf: x509.Certificate | None = None
    others: tuple[x509.Certificate, ...] = ()
    if facts and unparseable is None:
        leaf, others = pick_leaf([f.certificate for f in facts])
        info.update(_cert_info(next(f for f in facts if f.certificate is leaf)))

    value_el = sig.find(f"{_DS}SignatureValue")
    value = "".join((value_el.text or "").split()) if value_el is not None else ""
    if not value:
        return verdict_of(
            SignatureClass.PLACEHOLDER,
            SignatureReason.VALUE_MISSING,
            "SignatureValue is missing or empty",
            info,
        )
    try:
        raw_value = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return verdict_of(
            SignatureClass.PLACEHOLDER,
            SignatureReason.VALUE_MALFORMED,
            "SignatureValue is not base64",
            info,
        )
    if hashlib.sha256(raw_value).hexdigest() in policy.placeholder_values:
        return verdict_of(
            SignatureClass.PLACEHOLDER,
            SignatureReason.PLACEHOLDER_VALUE,
            "SignatureValue is a known placeholder (the official SDK sample value)",
            info,
        )
    if unparseable is not None:
        return verdict_of(
            SignatureClass.PLACEHOLDER,
            SignatureReason.CERT_UNPARSEABLE,
            f"an X509Certificate does not parse (starts {unparseable!r})",
            info,
        )
    if leaf is None:
        return verdict_of(
            SignatureClass.PLACEHOLDER,
            SignatureReason.CERT_MISSING,
            "KeyInfo carries no X509Certificate: the signer cannot be identified",
            info,
        )

    if any(code == "EDXML_NAMESPACE" for code, _ in notes):
        # The reader recovered from undeclared prefixes: such a tree has no canonical form,
        # so no signature over it can be checked.
        return verdict_of(
            SignatureClass.PLACEHOLDER,
            SignatureReason.XML_UNVERIFIABLE,
            "the package is not namespace-well-formed: its signature cannot be verified",
            info,
        )

    problem = _check_signed_info(signed_info, policy)
    if problem is not None:
        reason, message = problem
        return verdict_of(SignatureClass.INVALID, reason, message, info)
    return Candidate(sig, leaf, others, info)


def _check_signed_info(
    signed_info: etree._Element | None, policy: SignaturePolicy
) -> tuple[SignatureReason, str] | None:
    if signed_info is None:
        return SignatureReason.MALFORMED, "Signature has no SignedInfo"
    c14n = signed_info.find(f"{_DS}CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") not in C14N_METHODS:
        return SignatureReason.ALGORITHM, "missing or unsupported CanonicalizationMethod"
    algorithms = accepted_algorithms(policy.allow_sha1)
    method = signed_info.find(f"{_DS}SignatureMethod")
    if method is None or method.get("Algorithm") not in algorithms.signature_uris:
        algorithm = None if method is None else method.get("Algorithm")
        return SignatureReason.ALGORITHM, f"signature algorithm {algorithm!r} is not allowed"
    references = signed_info.findall(f"{_DS}Reference")
    if len(references) != 1:
        return SignatureReason.REFERENCES, f"{len(references)} References; exactly one expected"
    reference = references[0]
    uri = reference.get("URI")
    if uri != "":
        # spec/edxml.md §5: Reference URI="" — the signature covers the whole package. Any other
        # URI signs a part only, the classic signature-wrapping set-up.
        return SignatureReason.WRAPPING, f'Reference URI is {uri!r}; it must be "" (whole package)'
    transforms = [t.get("Algorithm") for t in reference.iterfind(f"{_DS}Transforms/{_DS}Transform")]
    if ENVELOPED_TRANSFORM not in transforms:
        return SignatureReason.TRANSFORM, "the enveloped-signature transform is missing"
    extra = [t for t in transforms if t not in ALLOWED_TRANSFORMS]
    if extra:
        return SignatureReason.TRANSFORM, f"transform {extra[0]!r} is not allowed"
    digest = reference.find(f"{_DS}DigestMethod")
    if digest is None or digest.get("Algorithm") not in algorithms.digest_uris:
        algorithm = None if digest is None else digest.get("Algorithm")
        return SignatureReason.ALGORITHM, f"digest algorithm {algorithm!r} is not allowed"
    return None
