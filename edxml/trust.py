"""Trust anchors and certificate-chain checks for XML-DSig signatures on edXML packages.

A :class:`TrustStore` is a set of certificates the node operator trusts (root CAs of the licensed
Vietnamese CAs, the government CA, or a single pinned signer). A signing certificate is trusted when
a path leads from it, through intermediates carried in the signature's ``X509Data`` or present in
the store, to a store certificate, every link checked with
:meth:`cryptography.x509.Certificate.verify_directly_issued_by`.

No revocation checking happens here (no CRL, no OCSP): ``edxml`` does no network I/O
(shared/design.md §2). Revocation is a separate concern of the gateway.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding

from edxml.errors import SignatureError

#: How many certificates a path may have between the signing certificate and the anchor.
DEFAULT_MAX_CHAIN_DEPTH = 8


def fingerprint(cert: x509.Certificate) -> str:
    """Return the lowercase hex SHA-256 of the certificate's DER encoding."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


@dataclass(frozen=True, slots=True)
class TrustStore:
    """An immutable set of trusted certificates (anchors); build it once, share it freely."""

    certificates: tuple[x509.Certificate, ...] = ()
    _by_subject: dict[bytes, tuple[x509.Certificate, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _fingerprints: frozenset[str] = field(
        default=frozenset(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_subject: dict[bytes, list[x509.Certificate]] = {}
        for cert in self.certificates:
            by_subject.setdefault(cert.subject.public_bytes(), []).append(cert)
        object.__setattr__(self, "_by_subject", {k: tuple(v) for k, v in by_subject.items()})
        object.__setattr__(
            self, "_fingerprints", frozenset(fingerprint(c) for c in self.certificates)
        )

    @classmethod
    def empty(cls) -> TrustStore:
        """Return a store that trusts nobody: every verified signature is ``untrusted``."""
        return cls(())

    @classmethod
    def from_certificates(cls, certificates: Iterable[x509.Certificate]) -> TrustStore:
        """Return a store trusting the given certificates (duplicates are dropped)."""
        seen: dict[str, x509.Certificate] = {}
        for cert in certificates:
            seen.setdefault(fingerprint(cert), cert)
        return cls(tuple(seen.values()))

    @classmethod
    def from_pem_bytes(cls, data: bytes) -> TrustStore:
        """Return a store trusting every certificate of a PEM bundle.

        Raises :class:`~edxml.errors.SignatureError` (``SIGNATURE_TRUST_STORE``) when the bundle
        holds no certificate or a block that does not parse: a misconfigured trust store must fail
        loudly at start-up, not silently trust nobody.
        """
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError as exc:
            raise SignatureError(
                f"trust bundle does not parse: {exc}", code="SIGNATURE_TRUST_STORE"
            ) from None
        if not certs:
            raise SignatureError("trust bundle holds no certificate", code="SIGNATURE_TRUST_STORE")
        return cls.from_certificates(certs)

    @classmethod
    def from_pem_file(cls, path: str | Path) -> TrustStore:
        """Return a store trusting every certificate of a PEM bundle file (read once, here)."""
        return cls.from_pem_bytes(Path(path).read_bytes())

    def __len__(self) -> int:
        return len(self.certificates)

    def __contains__(self, cert: object) -> bool:
        return isinstance(cert, x509.Certificate) and fingerprint(cert) in self._fingerprints

    def issuers_named(self, name: x509.Name) -> tuple[x509.Certificate, ...]:
        """Return the store certificates whose subject is ``name``."""
        return self._by_subject.get(name.public_bytes(), ())


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """Outcome of a chain check: ``reason`` is None when trusted, else a stable code."""

    reason: str | None
    message: str
    path: tuple[x509.Certificate, ...] = ()

    @property
    def trusted(self) -> bool:
        """True when a path to an anchor was found and every certificate on it passed."""
        return self.reason is None


def _issued_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _within_dates(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _may_issue(cert: x509.Certificate, *, anchor: bool, below: int) -> bool:
    """RFC 5280 §4.2.1.3/§4.2.1.9: an issuer must be a CA allowed to sign certificates.

    ``below`` is how many intermediate CAs sit between this issuer and the signing certificate.
    An anchor without BasicConstraints (old v1 roots) is accepted: the operator put it there.
    """
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        basic = None
    except ValueError:
        return False
    if basic is None:
        if not anchor:
            return False
    else:
        if not basic.ca:
            return False
        if basic.path_length is not None and below > basic.path_length:
            return False
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    except ValueError:
        return False
    return bool(usage.key_cert_sign)


def _search(
    cert: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    store: TrustStore,
    *,
    now: datetime | None,
    depth: int,
    max_depth: int,
    visited: frozenset[str],
) -> tuple[x509.Certificate, ...] | None:
    """Depth-first search for a path from ``cert`` to an anchor; ``now`` None skips dates."""
    if now is not None and not _within_dates(cert, now):
        return None
    if cert in store:
        # The certificate itself is an anchor (a pinned signer or a trusted intermediate).
        return (cert,)
    for anchor in store.issuers_named(cert.issuer):
        if (now is None or _within_dates(anchor, now)) and (
            _may_issue(anchor, anchor=True, below=depth) and _issued_by(cert, anchor)
        ):
            return (cert, anchor)
    if depth >= max_depth:
        return None
    for inter in intermediates:
        fp = fingerprint(inter)
        if fp in visited or inter.subject != cert.issuer:
            continue
        if not (_may_issue(inter, anchor=False, below=depth) and _issued_by(cert, inter)):
            continue
        rest = _search(
            inter,
            intermediates,
            store,
            now=now,
            depth=depth + 1,
            max_depth=max_depth,
            visited=visited | {fp},
        )
        if rest is not None:
            return (cert, *rest)
    return None


def check_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    store: TrustStore | None,
    *,
    now: datetime,
    check_dates: bool = True,
    max_depth: int = DEFAULT_MAX_CHAIN_DEPTH,
) -> ChainCheck:
    """Decide whether ``leaf`` chains to ``store`` through ``intermediates``.

    Reasons: ``SIGNATURE_UNTRUSTED_CHAIN`` (no path to a store certificate),
    ``SIGNATURE_CERT_EXPIRED`` (a path exists, but a certificate on every such path is outside its
    validity period at ``now``), ``SIGNATURE_CERT_USAGE`` (the signing certificate may not sign).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if store is None or not len(store):
        return ChainCheck(
            "SIGNATURE_UNTRUSTED_CHAIN", "no trust store configured: nobody is trusted"
        )
    if not _may_sign(leaf):
        return ChainCheck(
            "SIGNATURE_CERT_USAGE",
            "the signing certificate's KeyUsage allows neither digitalSignature nor nonRepudiation",
        )
    # Store certificates are reached as anchors by _search itself; the pool holds the rest.
    pool = [c for c in intermediates if fingerprint(c) != fingerprint(leaf)]
    start = frozenset({fingerprint(leaf)})
    if check_dates:
        path = _search(leaf, pool, store, now=now, depth=0, max_depth=max_depth, visited=start)
        if path is not None:
            return ChainCheck(None, "certificate chains to a trusted anchor", path)
    path = _search(leaf, pool, store, now=None, depth=0, max_depth=max_depth, visited=start)
    if path is None:
        return ChainCheck(
            "SIGNATURE_UNTRUSTED_CHAIN",
            f"no path from {_name(leaf.subject)} (issuer {_name(leaf.issuer)}) to a trusted anchor",
        )
    if not check_dates:
        return ChainCheck(None, "certificate chains to a trusted anchor (dates not checked)", path)
    stale = next(c for c in path if not _within_dates(c, now))
    state = "not yet valid" if now < stale.not_valid_before_utc else "expired"
    return ChainCheck(
        "SIGNATURE_CERT_EXPIRED",
        f"certificate {_name(stale.subject)} is {state} at {now.isoformat()} (valid "
        f"{stale.not_valid_before_utc.isoformat()} to {stale.not_valid_after_utc.isoformat()})",
        path,
    )


def _may_sign(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    except ValueError:
        return False
    return bool(usage.digital_signature or usage.content_commitment)


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return "<unreadable name>"


def name_string(name: x509.Name) -> str:
    """Return an RFC 4514 rendering of a certificate name, tolerating unreadable attributes."""
    return _name(name)


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """A parsed certificate and what a signature verdict reports about it (immutable, shared)."""

    certificate: x509.Certificate
    #: RFC 4514 renderings (see :func:`name_string`).
    subject: str
    issuer: str
    #: Serial number, uppercase hexadecimal.
    serial: str
    not_before: datetime
    not_after: datetime
    #: Lowercase hex SHA-256 of the DER encoding (see :func:`fingerprint`).
    sha256: str


#: Certificates inspected recently. A node sees the same few signers' certificates over and over;
#: parsing one, rendering its names and fingerprinting it costs ~0.1 ms per package otherwise.
#: Bounded, keyed by the exact DER bytes, values immutable: thrashing it only costs time.
_FACTS_CACHE_SIZE = 128


@lru_cache(maxsize=_FACTS_CACHE_SIZE)
def _facts(der: bytes) -> CertificateFacts:
    cert = x509.load_der_x509_certificate(der)
    return CertificateFacts(
        certificate=cert,
        subject=name_string(cert.subject),
        issuer=name_string(cert.issuer),
        serial=format(cert.serial_number, "X"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256=fingerprint(cert),
    )


def certificate_facts(text: str) -> CertificateFacts:
    """Parse the base64 DER text of an ``X509Certificate`` element and describe it.

    Results are cached by DER (a small LRU). Raises ValueError when the text is not base64 or not
    a DER certificate (the SDK's truncated ``MIIFqTCCBJG`` is neither).
    """
    compact = "".join(text.split())
    der = base64.b64decode(compact, validate=True)  # binascii.Error is a ValueError
    return _facts(der)


def load_base64_certificate(text: str) -> x509.Certificate:
    """Parse the base64 DER text of an ``X509Certificate`` element.

    Raises ValueError when the text is not base64 or not a DER certificate (the SDK's truncated
    ``MIIFqTCCBJG`` is neither).
    """
    return certificate_facts(text).certificate


def pick_leaf(
    certs: Sequence[x509.Certificate],
) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    """Split the certificates of an ``X509Data`` into (signing certificate, the others).

    XML-DSig fixes no order; the signing certificate is the one that issued none of the others
    (first such one; the first certificate if every one issued another). A wrong pick cannot make
    a signature verify: it only makes verification fail.
    """
    if not certs:
        raise ValueError("no certificate")
    for index, cert in enumerate(certs):
        issued_other = any(
            other.issuer == cert.subject for j, other in enumerate(certs) if j != index
        )
        if not issued_other:
            return cert, tuple(c for j, c in enumerate(certs) if j != index)
    return certs[0], tuple(certs[1:])
