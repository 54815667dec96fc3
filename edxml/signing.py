"""Signing what the node emits: its key loaded once, an enveloped XML-DSig over the whole package.

spec/edxml.md §5-6: RSA-SHA256 over SHA-256 (preferred to the RSA-SHA1 seen on the axes),
``Reference URI=""``, the signature the last child of ``edXMLHeader``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
from signxml.exceptions import InvalidInput
from signxml.signer import XMLSigner

from edxml.errors import SignatureError
from edxml.inspection import locate_signatures
from edxml.limits import DEFAULT_LIMITS, Limits
from edxml.verdict import DSIG_NS
from edxml.xmlsafe import hardened_parser, local_name, read_xml

_DS = f"{{{DSIG_NS}}}"


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
    if locate_signatures(root):
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
