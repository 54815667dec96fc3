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
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from edxml.errors import PackageRejected, SignatureError
from edxml.lifted import LiftedResult, Unsupported, plain_document, verify_lifted
from edxml.limits import DEFAULT_LIMITS, Limits
from edxml.trust import (
    DEFAULT_MAX_CHAIN_DEPTH,
    CertificateFacts,
    TrustStore,
    certificate_facts,
    check_chain,
    pick_leaf,
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

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
ENVELOPED_TRANSFORM = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_DS = f"{{{DSIG_NS}}}"

#: SHA-256 (hex) of the base64-decoded ``SignatureValue`` every official SDK sample carries
#: (``GbVb8n9+qFxz466Ag0sbpVdLPs2R0+9JBekp12UyarAZ…``), also seen in production traffic.
SDK_PLACEHOLDER_SIGNATURE_VALUE = "84c02a25a4444b7e57b4fb78e4ef2e7681c64030618865204b5dff00fd86430b"
#: Default set of known placeholder signature values (SHA-256 hex of the decoded value).
KNOWN_PLACEHOLDER_VALUES: frozenset[str] = frozenset({SDK_PLACEHOLDER_SIGNATURE_VALUE})

_C14N_METHODS = frozenset(m.value for m in CanonicalizationMethod)
_ALLOWED_TRANSFORMS = _C14N_METHODS | {ENVELOPED_TRANSFORM}


class SignatureClass(StrEnum):
    """What a package's signature is worth (spec/edxml.md §5); values are the wire strings."""

    ABSENT = "absent"
    PLACEHOLDER = "placeholder"
    VALID = "valid"
    INVALID = "invalid"
    UNTRUSTED = "untrusted"


class SignatureReason(StrEnum):
    """Stable reason codes carried by a :class:`SignatureVerdict` (see docs/signatures.md)."""

    # invalid: structure
    MULTIPLE = "SIGNATURE_MULTIPLE"
    LOCATION = "SIGNATURE_LOCATION"
    MALFORMED = "SIGNATURE_MALFORMED"
    ALGORITHM = "SIGNATURE_ALGORITHM"
    REFERENCES = "SIGNATURE_REFERENCES"
    TRANSFORM = "SIGNATURE_TRANSFORM"
    WRAPPING = "SIGNATURE_WRAPPING"
    PACKAGE_UNPARSEABLE = "SIGNATURE_PACKAGE_UNPARSEABLE"
    # invalid: cryptography
    DIGEST_MISMATCH = "SIGNATURE_DIGEST_MISMATCH"
    BAD_VALUE = "SIGNATURE_BAD_VALUE"
    KEY_MISMATCH = "SIGNATURE_KEY_MISMATCH"
    CERT_INVALID = "SIGNATURE_CERT_INVALID"
    VERIFY_ERROR = "SIGNATURE_VERIFY_ERROR"
    # placeholder / unverifiable
    NOT_XMLDSIG = "SIGNATURE_NOT_XMLDSIG"
    VALUE_MISSING = "SIGNATURE_VALUE_MISSING"
    VALUE_MALFORMED = "SIGNATURE_VALUE_MALFORMED"
    PLACEHOLDER_VALUE = "SIGNATURE_PLACEHOLDER_VALUE"
    CERT_MISSING = "SIGNATURE_CERT_MISSING"
    CERT_UNPARSEABLE = "SIGNATURE_CERT_UNPARSEABLE"
    XML_UNVERIFIABLE = "SIGNATURE_XML_UNVERIFIABLE"
    # untrusted
    UNTRUSTED_CHAIN = "SIGNATURE_UNTRUSTED_CHAIN"
    CERT_EXPIRED = "SIGNATURE_CERT_EXPIRED"
    CERT_USAGE = "SIGNATURE_CERT_USAGE"


_DATETIME_FIELDS = ("not_before", "not_after")


@dataclass(frozen=True, slots=True)
class SignatureVerdict:
    """The classification of one package's signature.

    The certificate fields describe the certificate the signature *embeds*; they are verified
    facts only when ``klass`` is ``valid`` or ``untrusted`` (the certificate verified the
    signature), and unverified claims otherwise.
    """

    klass: SignatureClass
    reason: str | None = None
    message: str | None = None
    subject: str | None = None
    issuer: str | None = None
    #: Certificate serial number, uppercase hexadecimal.
    serial: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    signature_algorithm: str | None = None
    digest_algorithm: str | None = None
    cert_sha256: str | None = None

    @property
    def verified(self) -> bool:
        """True when the signature verified mathematically over the whole package."""
        return self.klass in (SignatureClass.VALID, SignatureClass.UNTRUSTED)

    def to_dict(self) -> dict[str, str | None]:
        """Return a JSON-ready mapping (``class`` holds the wire value, datetimes ISO 8601)."""
        out: dict[str, str | None] = {"class": self.klass.value}
        for name in _DETAIL_FIELDS:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignatureVerdict:
        """Rebuild a verdict stored with :meth:`to_dict` (spec/edxml.md §6: carry the verdict)."""
        kwargs: dict[str, Any] = {"klass": SignatureClass(data["class"])}
        for name in _DETAIL_FIELDS:
            raw = data.get(name)
            if name in _DATETIME_FIELDS and raw:
                raw = datetime.fromisoformat(raw)
            kwargs[name] = raw
        return cls(**kwargs)


_DETAIL_FIELDS = tuple(f.name for f in fields(SignatureVerdict) if f.name != "klass")


@dataclass(frozen=True, slots=True)
class SignaturePolicy:
    """Per-node signature settings; the defaults follow spec/edxml.md §5."""

    #: Accept RSA-SHA1 / SHA-1 digests: real traffic still uses them (spec/edxml.md §5).
    allow_sha1: bool = True
    #: Check certificate validity dates at ``now``; off = an expired certificate may be ``valid``.
    check_validity_dates: bool = True
    #: SHA-256 (hex) of decoded ``SignatureValue``s known to be placeholders.
    placeholder_values: frozenset[str] = KNOWN_PLACEHOLDER_VALUES
    #: Maximum number of certificates between the signing certificate and a trust anchor.
    max_chain_depth: int = DEFAULT_MAX_CHAIN_DEPTH
    #: Classes the node refuses; the default accepts all but ``invalid`` (spec/edxml.md §5).
    rejected: frozenset[SignatureClass] = frozenset({SignatureClass.INVALID})

    def accepts(self, verdict: SignatureVerdict) -> bool:
        """Return True when a package with this verdict may be accepted by the node."""
        return verdict.klass not in self.rejected

    def signature_methods(self) -> frozenset[SignatureMethod]:
        """Signature algorithms accepted: RSA, RSA-PSS and ECDSA (SHA-1 only if allowed)."""
        return _algorithms(self.allow_sha1).signature_methods

    def digest_algorithms(self) -> frozenset[DigestAlgorithm]:
        """Reference digest algorithms accepted (SHA-1 only if allowed)."""
        return _algorithms(self.allow_sha1).digest_algorithms


@dataclass(frozen=True, slots=True)
class _Algorithms:
    signature_methods: frozenset[SignatureMethod]
    digest_algorithms: frozenset[DigestAlgorithm]
    #: The same sets as wire URIs, for checks on the unverified SignedInfo.
    signature_uris: frozenset[str]
    digest_uris: frozenset[str]


@lru_cache(maxsize=2)
def _algorithms(allow_sha1: bool) -> _Algorithms:
    # The sets depend on allow_sha1 only: computed once, not three times per package.
    methods = frozenset(
        m
        for m in SignatureMethod
        if not m.name.startswith(("HMAC", "DSA")) and (allow_sha1 or "SHA1" not in m.name)
    )
    digests = frozenset(d for d in DigestAlgorithm if allow_sha1 or d is not DigestAlgorithm.SHA1)
    return _Algorithms(
        methods, digests, frozenset(m.value for m in methods), frozenset(d.value for d in digests)
    )


DEFAULT_SIGNATURE_POLICY = SignaturePolicy()


# --------------------------------------------------------------------------------------------
# Stage 1: inspection


@dataclass(frozen=True, slots=True)
class _Candidate:
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


def _verdict(
    klass: SignatureClass, reason: SignatureReason | None, message: str, info: Mapping[str, Any]
) -> SignatureVerdict:
    return SignatureVerdict(
        klass=klass, reason=None if reason is None else reason.value, message=message, **info
    )


def _locate(root: etree._Element, *, lenient: bool = True) -> list[etree._Element]:
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


def _examine(
    root: etree._Element, notes: list[tuple[str, str]], policy: SignaturePolicy
) -> SignatureVerdict | _Candidate:
    """Stage 1: decide everything that can be decided without verifying."""
    info: dict[str, Any] = {}
    found = _locate(root, lenient=any(code == "EDXML_NAMESPACE" for code, _ in notes))
    if not found:
        return _verdict(SignatureClass.ABSENT, None, "the package carries no signature", info)
    if len(found) > 1:
        return _verdict(
            SignatureClass.INVALID,
            SignatureReason.MULTIPLE,
            f"the package carries {len(found)} signatures; exactly one is allowed",
            info,
        )
    sig = found[0]
    if not _well_placed(sig, root):
        return _verdict(
            SignatureClass.INVALID,
            SignatureReason.LOCATION,
            "the XML-DSig Signature is neither in edXMLHeader nor a child of the root",
            info,
        )
    if sig.tag != f"{_DS}Signature":
        # The SDK's unprefixed <Signature> inherits the QCVN namespace: not XML-DSig at all.
        return _verdict(
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
        return _verdict(
            SignatureClass.PLACEHOLDER,
            SignatureReason.VALUE_MISSING,
            "SignatureValue is missing or empty",
            info,
        )
    try:
        raw_value = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return _verdict(
            SignatureClass.PLACEHOLDER,
            SignatureReason.VALUE_MALFORMED,
            "SignatureValue is not base64",
            info,
        )
    if hashlib.sha256(raw_value).hexdigest() in policy.placeholder_values:
        return _verdict(
            SignatureClass.PLACEHOLDER,
            SignatureReason.PLACEHOLDER_VALUE,
            "SignatureValue is a known placeholder (the official SDK sample value)",
            info,
        )
    if unparseable is not None:
        return _verdict(
            SignatureClass.PLACEHOLDER,
            SignatureReason.CERT_UNPARSEABLE,
            f"an X509Certificate does not parse (starts {unparseable!r})",
            info,
        )
    if leaf is None:
        return _verdict(
            SignatureClass.PLACEHOLDER,
            SignatureReason.CERT_MISSING,
            "KeyInfo carries no X509Certificate: the signer cannot be identified",
            info,
        )

    if any(code == "EDXML_NAMESPACE" for code, _ in notes):
        # The reader recovered from undeclared prefixes: such a tree has no canonical form,
        # so no signature over it can be checked.
        return _verdict(
            SignatureClass.PLACEHOLDER,
            SignatureReason.XML_UNVERIFIABLE,
            "the package is not namespace-well-formed: its signature cannot be verified",
            info,
        )

    problem = _check_signed_info(signed_info, policy)
    if problem is not None:
        reason, message = problem
        return _verdict(SignatureClass.INVALID, reason, message, info)
    return _Candidate(sig, leaf, others, info)


def _check_signed_info(
    signed_info: etree._Element | None, policy: SignaturePolicy
) -> tuple[SignatureReason, str] | None:
    if signed_info is None:
        return SignatureReason.MALFORMED, "Signature has no SignedInfo"
    c14n = signed_info.find(f"{_DS}CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") not in _C14N_METHODS:
        return SignatureReason.ALGORITHM, "missing or unsupported CanonicalizationMethod"
    algorithms = _algorithms(policy.allow_sha1)
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
    extra = [t for t in transforms if t not in _ALLOWED_TRANSFORMS]
    if extra:
        return SignatureReason.TRANSFORM, f"transform {extra[0]!r} is not allowed"
    digest = reference.find(f"{_DS}DigestMethod")
    if digest is None or digest.get("Algorithm") not in algorithms.digest_uris:
        algorithm = None if digest is None else digest.get("Algorithm")
        return SignatureReason.ALGORITHM, f"digest algorithm {algorithm!r} is not allowed"
    return None


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
    root: etree._Element, cand: _Candidate, policy: SignaturePolicy, now: datetime
) -> Any:
    """Verify the whole tree with signxml (the reference implementation)."""
    algorithms = _algorithms(policy.allow_sha1)
    config = SignatureConfiguration(
        require_x509=True,
        location=".//",  # _examine made sure there is exactly one, and where it is
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
    received: etree._Element, cand: _Candidate, run: Callable[[], Any]
) -> SignatureVerdict | None:
    """Stage 2: run a verification (signxml's or the lifted one) and judge what it returns.

    ``received`` is the tree ``run`` verifies; the verdict is None when it verified. Raises
    :class:`~edxml.lifted.Unsupported` from the lifted verification (the caller falls back).
    """

    def fail(reason: SignatureReason, message: str) -> SignatureVerdict:
        return _verdict(SignatureClass.INVALID, reason, message, cand.info)

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
) -> SignatureVerdict | _Candidate | None:
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
    cand = _examine(mine.root, mine.notes, policy)
    if isinstance(cand, SignatureVerdict):
        return cand
    algorithms = _algorithms(policy.allow_sha1)
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
) -> SignatureVerdict | _Candidate:
    """Stage 2 on the whole package, verified by signxml."""
    try:
        full = read_xml(data, limits, lift_payloads=False)
    except PackageRejected as exc:
        return _verdict(
            SignatureClass.INVALID,
            SignatureReason.PACKAGE_UNPARSEABLE,
            f"the whole package cannot be read for verification: {exc}",
            info,
        )
    # Inspect the full tree again: the verdict must rest on the bytes, not on a caller's tree.
    cand = _examine(full.root, full.notes, policy)
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
    first = _examine(doc.root, doc.notes, policy)
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
        return _verdict(SignatureClass.VALID, None, chain.message, cand.info)
    return _verdict(
        SignatureClass.UNTRUSTED, SignatureReason(chain.reason), chain.message, cand.info
    )


# --------------------------------------------------------------------------------------------
# Signing


@dataclass(frozen=True, slots=True, eq=False)
class Signer:
    """The node's signing key and certificate, loaded once and shared (immutable, thread-safe).

    ``chain`` holds intermediate certificates to embed after the signing certificate.
    """

    key: rsa.RSAPrivateKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.key, rsa.RSAPrivateKey):
            raise SignatureError("the signing key must be an RSA key", code="SIGNATURE_KEY")
        if self.key.key_size < 2048:
            raise SignatureError(
                f"RSA key of {self.key.key_size} bits; at least 2048 required", code="SIGNATURE_KEY"
            )
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        mine = self.key.public_key().public_bytes(serialization.Encoding.DER, spki)
        theirs = self.certificate.public_key().public_bytes(serialization.Encoding.DER, spki)
        if mine != theirs:
            raise SignatureError(
                "the certificate does not belong to the signing key", code="SIGNATURE_KEY"
            )

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes, password: bytes | None = None) -> Signer:
        """Load an RSA private key and its certificate (optionally followed by intermediates)."""
        try:
            key = serialization.load_pem_private_key(key_pem, password=password)
        except (ValueError, TypeError) as exc:
            raise SignatureError(
                f"cannot load the signing key: {exc}", code="SIGNATURE_KEY"
            ) from None
        try:
            certs = x509.load_pem_x509_certificates(cert_pem)
        except ValueError as exc:
            raise SignatureError(
                f"cannot load the signing certificate: {exc}", code="SIGNATURE_KEY"
            ) from None
        if not certs:
            raise SignatureError("no certificate in the PEM data", code="SIGNATURE_KEY")
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SignatureError("the signing key must be an RSA key", code="SIGNATURE_KEY")
        return cls(key=key, certificate=certs[0], chain=tuple(certs[1:]))

    @classmethod
    def from_files(
        cls, key_path: str | Path, cert_path: str | Path, password: bytes | None = None
    ) -> Signer:
        """Load the key and certificate PEM files once, at start-up."""
        return cls.from_pem(Path(key_path).read_bytes(), Path(cert_path).read_bytes(), password)


class _XMLSigner(XMLSigner):
    """signxml's signer, re-parsing through the hardened parser (huge_tree for payloads)."""

    @property
    def parser(self) -> etree.XMLParser:
        return hardened_parser(huge=True)


def sign_package(data: bytes, signer: Signer, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Return ``data`` with an enveloped XML-DSig signature (spec/edxml.md §5-6).

    RSA-SHA256 over SHA-256, exclusive c14n 1.0 for SignedInfo and the reference,
    ``Reference URI=""`` (the whole package), the ``ds:Signature`` appended as the last child of
    ``edXMLHeader`` with the certificate (and chain) in ``KeyInfo/X509Data``. Output is UTF-8 with
    an XML declaration. Raises :class:`~edxml.errors.SignatureError` (``SIGNATURE_PRESENT``,
    ``SIGNATURE_NO_HEADER``, ``SIGNATURE_ERROR``) and the ``PackageRejected`` family of
    :func:`read_xml`.
    """
    doc = read_xml(data, limits, lift_payloads=False)
    root = doc.root
    if _locate(root):
        raise SignatureError(
            "the package is already signed; refusing to add a second signature",
            field="/edXML/edXMLEnvelope/edXMLHeader/Signature",
            code="SIGNATURE_PRESENT",
        )
    headers = [el for el in root.iter() if local_name(el.tag) == "edXMLHeader"]
    if len(headers) != 1:
        raise SignatureError(
            f"expected exactly one edXMLHeader, found {len(headers)}",
            field="/edXML/edXMLEnvelope/edXMLHeader",
            code="SIGNATURE_NO_HEADER",
        )
    if any(code == "EDXML_NAMESPACE" for code, _ in doc.notes):
        # No canonical form exists for a tree with undeclared prefixes: nothing to sign.
        raise SignatureError("the package is not namespace-well-formed; it cannot be signed")
    header = headers[0]
    # signxml replaces this placeholder in place, so the signature lands after MessageHeader /
    # TraceHeaderList, as the last child of edXMLHeader (spec/edxml.md §1).
    last = header[-1] if len(header) else None
    placeholder = etree.SubElement(header, f"{_DS}Signature", nsmap={"ds": DSIG_NS})
    placeholder.set("Id", "placeholder")
    if last is not None:
        placeholder.tail, last.tail = last.tail, header.text
    try:
        signed = _XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        ).sign(root, key=signer.key, cert=[signer.certificate, *signer.chain])
    except (InvalidInput, ValueError, TypeError, etree.LxmlError) as exc:
        raise SignatureError(f"signing failed: {exc}") from None
    body: bytes = etree.tostring(signed, encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
