"""What a package's signature is worth: classes, reason codes, verdicts and the node's policy.

spec/edxml.md §5: every incoming package is classified ``absent``, ``placeholder``, ``valid``,
``invalid`` or ``untrusted``; the node's :class:`SignaturePolicy` decides which classes it refuses
and which algorithms it accepts. :mod:`edxml.inspection` and :mod:`edxml.signature` produce the
:class:`SignatureVerdict`; this module only describes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from edxml.trust import DEFAULT_MAX_CHAIN_DEPTH

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
ENVELOPED_TRANSFORM = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

#: SHA-256 (hex) of the base64-decoded ``SignatureValue`` every official SDK sample carries
#: (``GbVb8n9+qFxz466Ag0sbpVdLPs2R0+9JBekp12UyarAZ…``), also seen in production traffic.
SDK_PLACEHOLDER_SIGNATURE_VALUE = "84c02a25a4444b7e57b4fb78e4ef2e7681c64030618865204b5dff00fd86430b"
#: Default set of known placeholder signature values (SHA-256 hex of the decoded value).
KNOWN_PLACEHOLDER_VALUES: frozenset[str] = frozenset({SDK_PLACEHOLDER_SIGNATURE_VALUE})

C14N_METHODS = frozenset(m.value for m in CanonicalizationMethod)
ALLOWED_TRANSFORMS = C14N_METHODS | {ENVELOPED_TRANSFORM}


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
        return accepted_algorithms(self.allow_sha1).signature_methods

    def digest_algorithms(self) -> frozenset[DigestAlgorithm]:
        """Reference digest algorithms accepted (SHA-1 only if allowed)."""
        return accepted_algorithms(self.allow_sha1).digest_algorithms


@dataclass(frozen=True, slots=True)
class Algorithms:
    """The signature and digest algorithms a policy accepts, as signxml enums and wire URIs."""

    signature_methods: frozenset[SignatureMethod]
    digest_algorithms: frozenset[DigestAlgorithm]
    #: The same sets as wire URIs, for checks on the unverified SignedInfo.
    signature_uris: frozenset[str]
    digest_uris: frozenset[str]


@lru_cache(maxsize=2)
def accepted_algorithms(allow_sha1: bool) -> Algorithms:
    """Algorithms accepted with or without SHA-1: RSA, RSA-PSS and ECDSA, never HMAC or DSA."""
    # The sets depend on allow_sha1 only: computed once, not three times per package.
    methods = frozenset(
        m
        for m in SignatureMethod
        if not m.name.startswith(("HMAC", "DSA")) and (allow_sha1 or "SHA1" not in m.name)
    )
    digests = frozenset(d for d in DigestAlgorithm if allow_sha1 or d is not DigestAlgorithm.SHA1)
    return Algorithms(
        methods, digests, frozenset(m.value for m in methods), frozenset(d.value for d in digests)
    )


DEFAULT_SIGNATURE_POLICY = SignaturePolicy()
