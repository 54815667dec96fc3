"""TEST ONLY: the PKI, packages and attacks behind the signature corpus.

Regenerate the committed corpus (fresh keys every run; no private key is ever written):

    .venv/bin/python tests/edxml/corpus/signature/generate.py

It writes ``trust.pem`` (the TEST ONLY root CA certificate, public part only) and one
``<name>__<class>.edxml`` file per entry of :data:`CASES`. The expected class is judged at
:data:`CORPUS_NOW` with ``trust.pem`` as the trust store and the default policy.
``tests/edxml/test_signature.py`` imports this module for the same builders, with its own keys.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

from edxml.signature import Signer, TrustStore, sign_package
from edxml.xmlsafe import read_xml

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[3]
SDK_SAMPLES = PROJECT.parent / "shared" / "data" / "edxml" / "sdk-samples"

QCVN = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
Q = f"{{{QCVN}}}"
DS = f"{{{DSIG}}}"

#: The moment the corpus classes are judged at.
CORPUS_NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
#: The SignatureValue every official SDK sample carries.
SDK_PLACEHOLDER_VALUE = (
    "GbVb8n9+qFxz466Ag0sbpVdLPs2R0+9JBekp12UyarAZjoG0W/kPZZJ1auRZDcNcrSwzgkQMpqrjwxcy3ejzbY/ON5US"
    "UPgoYNYM8p4wsgQpEAeQaZ+EWLkkEBxYjb+iWEiAjYuJI7gtJoOyENcOK4fO050SXp2ctOc32LJMA5eEI6Hw7sxhc2LA"
    "gcPiynJHdDW2Z+eut6QZiUsbIF9+S3T6u/tfLImw39dgSlCxupwLPHepxuiLOqyd08HeJGCZufg9WqRBVyLFM76uCIaP"
    "RP5wwAdx72GVjPcG2kh+2jjrt7fqtJOufJzCObtQgPgBqIvDiZCGoOM41OQMiqtF3w=="
)
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


# ------------------------------------------------------------------------------------------------
# PKI (TEST ONLY)


def new_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA key (TEST ONLY, never written to disk)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def make_cert(
    cn: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
    ca: bool = False,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """A certificate for ``key``; self-signed when ``issuer`` is None."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TEST ONLY - truc-lienthong"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer is not None else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
    )
    return builder.sign(issuer_key if issuer_key is not None else key, hashes.SHA256())


@dataclass(frozen=True)
class Pki:
    """A TEST ONLY root CA, an intermediate CA and a leaf signing certificate."""

    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    inter_key: rsa.RSAPrivateKey
    inter: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    leaf: x509.Certificate

    @property
    def signer(self) -> Signer:
        """The node's signer: leaf key, leaf certificate, intermediate embedded."""
        return Signer(key=self.leaf_key, certificate=self.leaf, chain=(self.inter,))

    @property
    def trust(self) -> TrustStore:
        """A store trusting the root CA only."""
        return TrustStore.from_certificates([self.root])

    def root_pem(self) -> bytes:
        """The root CA certificate in PEM (public part only)."""
        return self.root.public_bytes(serialization.Encoding.PEM)

    def leaf_signer(self, cn: str, *, not_before: datetime, not_after: datetime) -> Signer:
        """Another leaf under the intermediate, with its own validity period."""
        key = new_key()
        cert = make_cert(
            cn,
            key,
            issuer=self.inter,
            issuer_key=self.inter_key,
            not_before=not_before,
            not_after=not_after,
        )
        return Signer(key=key, certificate=cert, chain=(self.inter,))


def make_pki(now: datetime, name: str = "TEST ONLY Root CA") -> Pki:
    """A PKI whose leaf is valid around ``now`` (30 days before, one year after)."""
    root_key, inter_key, leaf_key = new_key(), new_key(), new_key()
    ca_from, ca_until = now - timedelta(days=800), now + timedelta(days=3650)
    root = make_cert(name, root_key, ca=True, not_before=ca_from, not_after=ca_until)
    inter = make_cert(
        f"{name} - Issuing CA",
        inter_key,
        issuer=root,
        issuer_key=root_key,
        ca=True,
        not_before=ca_from,
        not_after=ca_until,
    )
    leaf = make_cert(
        "TEST ONLY axis node signer",
        leaf_key,
        issuer=inter,
        issuer_key=inter_key,
        not_before=now - timedelta(days=30),
        not_after=now + timedelta(days=365),
    )
    return Pki(root_key, root, inter_key, inter, leaf_key, leaf)


# ------------------------------------------------------------------------------------------------
# Packages


def sample(name: str) -> bytes:
    """An official SDK sample, byte-exact."""
    return (SDK_SAMPLES / name).read_bytes()


def status_package() -> bytes:
    """An unsigned status package (SDK ``status.edxml``)."""
    return sample("status.edxml")


def document_package() -> bytes:
    """An unsigned document package built by hand from ``edoc_new.edxml``: stray bytes and the
    SDK placeholder signature removed, the 360 KB attachment replaced by a small one."""
    root = tree(sample("edoc_new.edxml"))
    for sig in root.iter(f"{Q}Signature"):
        parent = sig.getparent()
        assert parent is not None
        previous = sig.getprevious()
        if previous is not None:
            previous.tail = sig.tail
        parent.remove(sig)
    attachment = b"%PDF-1.4\n% TEST ONLY attachment\n" + bytes(range(256)) * 4
    for payload in root.iter(f"{Q}ContentTransferEncoded"):
        payload.text = base64.b64encode(attachment).decode("ascii")
    return dump(root)


def tree(data: bytes) -> etree._Element:
    """Parse through the project's hardened reader (whole document)."""
    return read_xml(data, lift_payloads=False).root


def dump(root: etree._Element) -> bytes:
    """Serialise as the node does: UTF-8 with a declaration."""
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def header_of(root: etree._Element) -> etree._Element:
    """The package's edXMLHeader."""
    header = root.find(f"{Q}edXMLEnvelope/{Q}edXMLHeader")
    assert header is not None
    return header


def signature_of(root: etree._Element) -> etree._Element:
    """The package's XML-DSig Signature (wherever it is)."""
    sig = next(root.iter(f"{DS}Signature"))
    return sig


def sign_with_signxml(
    data: bytes,
    key: rsa.RSAPrivateKey,
    certs: list[x509.Certificate],
    *,
    sha1: bool = False,
    reference_uri: str | None = None,
    placement: str = "header",
    c14n: CanonicalizationMethod = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    hmac_key: bytes | None = None,
) -> bytes:
    """Sign with signxml directly, for shapes :func:`sign_package` refuses to make."""

    class AnySigner(XMLSigner):
        def check_deprecated_methods(self) -> None:
            # TEST ONLY: signxml refuses SHA-1 signing; the axes still carry RSA-SHA1.
            return None

    if hmac_key is not None:
        method = SignatureMethod.HMAC_SHA256
    else:
        method = SignatureMethod.RSA_SHA1 if sha1 else SignatureMethod.RSA_SHA256
    signer = AnySigner(
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA1 if sha1 else DigestAlgorithm.SHA256,
        c14n_algorithm=c14n,
    )
    root = tree(data)
    if placement == "header":
        holder = etree.SubElement(header_of(root), f"{DS}Signature", nsmap={"ds": DSIG})
        holder.set("Id", "placeholder")
    if hmac_key is not None:
        signed = signer.sign(root, key=hmac_key, reference_uri=reference_uri)
    else:
        signed = signer.sign(root, key=key, cert=certs, reference_uri=reference_uri)
    return dump(signed)


# ------------------------------------------------------------------------------------------------
# Alterations of a signed package (each returns new bytes)


def tamper_header_byte(signed: bytes) -> bytes:
    """Change one digit of the first OrganId (one header byte)."""
    pos = signed.index(b"<edXML:OrganId>") + len(b"<edXML:OrganId>")
    new = b"1" if signed[pos : pos + 1] != b"1" else b"2"
    return signed[:pos] + new + signed[pos + 1 :]


def tamper_attachment_char(signed: bytes) -> bytes:
    """Change one base64 character inside the attachment payload."""
    start = signed.index(b"ContentTransferEncoded")
    pos = signed.index(b">", start) + 40
    new = b"A" if signed[pos : pos + 1] != b"A" else b"B"
    return signed[:pos] + new + signed[pos + 1 :]


def _description(root: etree._Element) -> etree._Element:
    el = root.find(f"{Q}edXMLEnvelope/{Q}edXMLHeader/{Q}MessageHeader/{Q}Description")
    assert el is not None
    return el


def wrapped_id_reference(pki: Pki) -> bytes:
    """A genuine signature over ``#signed-part`` (a copied MessageHeader parked at the end of
    the package) while the visible header says something else."""
    root = tree(status_package())
    decoy = copy.deepcopy(header_of(root).find(f"{Q}MessageHeader"))
    assert decoy is not None
    decoy.set("Id", "signed-part")
    root.append(decoy)
    signed = tree(
        sign_with_signxml(
            dump(root), pki.leaf_key, [pki.leaf, pki.inter], reference_uri="#signed-part"
        )
    )
    _description(signed).text = "Visible header rewritten by an attacker"
    return dump(signed)


def injected_second_header(signed: bytes) -> bytes:
    """A forged edXMLHeader inserted before the signed one."""
    root = tree(signed)
    header = header_of(root)
    forged = copy.deepcopy(header)
    for sig in forged.findall(f"{DS}Signature"):
        forged.remove(sig)
    _description_in(forged).text = "Forged header"
    envelope = header.getparent()
    assert envelope is not None
    envelope.insert(0, forged)
    return dump(root)


def _description_in(header: etree._Element) -> etree._Element:
    el = header.find(f"{Q}MessageHeader/{Q}Description")
    assert el is not None
    return el


def injected_message_header(signed: bytes) -> bytes:
    """A forged MessageHeader inserted next to the signed one, inside the signed edXMLHeader."""
    root = tree(signed)
    header = header_of(root)
    original = header.find(f"{Q}MessageHeader")
    assert original is not None
    forged = copy.deepcopy(original)
    description = forged.find(f"{Q}Description")
    assert description is not None
    description.text = "Forged message header"
    header.insert(0, forged)
    return dump(root)


def moved_into_object(signed: bytes, *, id_reference: bool = False) -> bytes:
    """The signed MessageHeader moved into a ds:Object inside the Signature and the visible one
    replaced; with ``id_reference`` the Reference is also pointed at the Object."""
    root = tree(signed)
    sig = signature_of(root)
    obj = etree.SubElement(sig, f"{DS}Object")
    obj.set("Id", "original")
    original = header_of(root).find(f"{Q}MessageHeader")
    assert original is not None
    obj.append(copy.deepcopy(original))
    _description(root).text = "Visible header replaced by an attacker"
    if id_reference:
        reference = sig.find(f"{DS}SignedInfo/{DS}Reference")
        assert reference is not None
        reference.set("URI", "#original")
    return dump(root)


def two_signatures(signed: bytes) -> bytes:
    """A second copy of the Signature appended to edXMLHeader."""
    root = tree(signed)
    header_of(root).append(copy.deepcopy(signature_of(root)))
    return dump(root)


def signature_moved_into_message_header(signed: bytes) -> bytes:
    """The Signature moved from edXMLHeader into MessageHeader (an unexpected place)."""
    root = tree(signed)
    sig = signature_of(root)
    target = header_of(root).find(f"{Q}MessageHeader")
    assert target is not None
    target.append(sig)
    return dump(root)


def flip_signature_value(signed: bytes) -> bytes:
    """One bit of the SignatureValue flipped (still valid base64)."""
    root = tree(signed)
    value = signature_of(root).find(f"{DS}SignatureValue")
    assert value is not None
    assert value.text
    raw = bytearray(base64.b64decode(value.text))
    raw[len(raw) // 2] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode("ascii")
    return dump(root)


def replace_signature_value(signed: bytes, value_b64: str) -> bytes:
    """The SignatureValue replaced by ``value_b64``."""
    root = tree(signed)
    value = signature_of(root).find(f"{DS}SignatureValue")
    assert value is not None
    value.text = value_b64
    return dump(root)


def replace_certificate(signed: bytes, text: str) -> bytes:
    """The first X509Certificate's text replaced by ``text``."""
    root = tree(signed)
    cert = signature_of(root).find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert cert is not None
    cert.text = text
    return dump(root)


def certificate_text(cert: x509.Certificate) -> str:
    """Base64 DER, as X509Certificate carries it."""
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def add_key_value(signed: bytes, key: rsa.RSAPublicKey) -> bytes:
    """A KeyValue of another key added to KeyInfo next to the certificate."""
    root = tree(signed)
    key_info = signature_of(root).find(f"{DS}KeyInfo")
    assert key_info is not None
    numbers = key.public_numbers()

    def b64int(n: int) -> str:
        return base64.b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).decode("ascii")

    key_value = etree.Element(f"{DS}KeyValue")
    rsa_value = etree.SubElement(key_value, f"{DS}RSAKeyValue")
    etree.SubElement(rsa_value, f"{DS}Modulus").text = b64int(numbers.n)
    etree.SubElement(rsa_value, f"{DS}Exponent").text = b64int(numbers.e)
    key_info.insert(0, key_value)
    return dump(root)


def remove_key_info(signed: bytes) -> bytes:
    """KeyInfo removed: the signer cannot be identified."""
    root = tree(signed)
    sig = signature_of(root)
    key_info = sig.find(f"{DS}KeyInfo")
    assert key_info is not None
    sig.remove(key_info)
    return dump(root)


def move_to_qcvn_namespace(signed: bytes) -> bytes:
    """Every element of the Signature renamed into the QCVN namespace (the SDK's shape)."""
    root = tree(signed)
    for el in signature_of(root).iter():
        el.tag = Q + etree.QName(el).localname
    etree.cleanup_namespaces(root)
    return dump(root)


def comment_between_elements(signed: bytes) -> bytes:
    """A comment added between two header elements (comments are not signed)."""
    root = tree(signed)
    header_of(root).insert(0, etree.Comment(" added after signing "))
    return dump(root)


def comment_splitting_text(signed: bytes) -> bytes:
    """A comment splitting the Description text: a reader of ``.text`` would see half of it."""
    root = tree(signed)
    description = _description(root)
    text = description.text or ""
    description.text = text[:5]
    comment = etree.Comment(" split ")
    comment.tail = text[5:]
    description.append(comment)
    return dump(root)


# ------------------------------------------------------------------------------------------------
# The corpus


@dataclass(frozen=True)
class World:
    """Everything the corpus cases are built from."""

    pki: Pki
    rogue: Pki
    now: datetime

    def status(self) -> bytes:
        """The status package signed by the node's signer."""
        return sign_package(status_package(), self.pki.signer)

    def document(self) -> bytes:
        """The document package signed by the node's signer."""
        return sign_package(document_package(), self.pki.signer)


def _leaf_dates(world: World, start_days: int, length_days: int) -> bytes:
    signer = world.pki.leaf_signer(
        "TEST ONLY out-of-date signer",
        not_before=world.now + timedelta(days=start_days),
        not_after=world.now + timedelta(days=start_days + length_days),
    )
    return sign_package(status_package(), signer)


def _leaf_issued_by_leaf(world: World) -> bytes:
    pki = world.pki
    key = new_key()
    cert = make_cert(
        "TEST ONLY leaf issued by a leaf",
        key,
        issuer=pki.leaf,
        issuer_key=pki.leaf_key,
        not_before=world.now - timedelta(days=1),
        not_after=world.now + timedelta(days=30),
    )
    signer = Signer(key=key, certificate=cert, chain=(pki.leaf, pki.inter))
    return sign_package(status_package(), signer)


CASES: dict[str, Callable[[World], bytes]] = {
    "status-signed__valid": lambda w: w.status(),
    "document-signed__valid": lambda w: w.document(),
    "rsa-sha1-signed__valid": lambda w: sign_with_signxml(
        status_package(), w.pki.leaf_key, [w.pki.leaf, w.pki.inter], sha1=True
    ),
    "inclusive-c14n__valid": lambda w: sign_with_signxml(
        status_package(),
        w.pki.leaf_key,
        [w.pki.leaf, w.pki.inter],
        sha1=True,
        c14n=CanonicalizationMethod.CANONICAL_XML_1_0,
    ),
    "signature-child-of-root__valid": lambda w: sign_with_signxml(
        status_package(), w.pki.leaf_key, [w.pki.leaf, w.pki.inter], placement="root"
    ),
    "comment-between-elements__valid": lambda w: comment_between_elements(w.status()),
    "unsigned-status__absent": lambda w: status_package(),
    "sdk-placeholder-value__placeholder": lambda w: replace_signature_value(
        w.status(), SDK_PLACEHOLDER_VALUE
    ),
    "truncated-certificate__placeholder": lambda w: replace_certificate(w.status(), "MIIFqTCCBJG"),
    "qcvn-namespace-signature__placeholder": lambda w: move_to_qcvn_namespace(w.status()),
    "no-key-info__placeholder": lambda w: remove_key_info(w.status()),
    "hmac-no-certificate__placeholder": lambda w: sign_with_signxml(
        status_package(), w.pki.leaf_key, [], hmac_key=b"TEST ONLY shared secret 32 bytes"
    ),
    "expired-certificate__untrusted": lambda w: _leaf_dates(w, -400, 365),
    "not-yet-valid-certificate__untrusted": lambda w: _leaf_dates(w, 30, 365),
    "unknown-ca__untrusted": lambda w: sign_package(status_package(), w.rogue.signer),
    "missing-intermediate__untrusted": lambda w: sign_package(
        status_package(), Signer(key=w.pki.leaf_key, certificate=w.pki.leaf)
    ),
    "leaf-issued-by-leaf__untrusted": _leaf_issued_by_leaf,
    "tampered-header-byte__invalid": lambda w: tamper_header_byte(w.status()),
    "tampered-attachment-char__invalid": lambda w: tamper_attachment_char(w.document()),
    "wrapped-id-reference__invalid": lambda w: wrapped_id_reference(w.pki),
    "injected-second-header__invalid": lambda w: injected_second_header(w.status()),
    "injected-message-header__invalid": lambda w: injected_message_header(w.status()),
    "content-moved-into-object__invalid": lambda w: moved_into_object(w.status()),
    "content-moved-into-object-id-reference__invalid": lambda w: moved_into_object(
        w.status(), id_reference=True
    ),
    "two-signatures__invalid": lambda w: two_signatures(w.status()),
    "signature-inside-message-header__invalid": lambda w: signature_moved_into_message_header(
        w.status()
    ),
    "flipped-signature-value__invalid": lambda w: flip_signature_value(w.status()),
    "swapped-certificate__invalid": lambda w: replace_certificate(
        w.status(), certificate_text(w.rogue.leaf)
    ),
    "key-value-mismatch__invalid": lambda w: add_key_value(
        w.status(), w.rogue.leaf_key.public_key()
    ),
    "comment-splitting-text__invalid": lambda w: comment_splitting_text(w.status()),
}


def make_world(now: datetime) -> World:
    """A fresh PKI, a rogue PKI nobody trusts, and the moment of judgement."""
    return World(pki=make_pki(now), rogue=make_pki(now, "TEST ONLY Rogue Root CA"), now=now)


def write_corpus(folder: Path = HERE) -> list[Path]:
    """Rewrite ``trust.pem`` and every ``*.edxml`` case in ``folder``."""
    world = make_world(CORPUS_NOW)
    for old in folder.glob("*.edxml"):
        old.unlink()
    (folder / "trust.pem").write_bytes(world.pki.root_pem())
    written = []
    for name, build in CASES.items():
        path = folder / f"{name}.edxml"
        path.write_bytes(build(world))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_corpus():
        print(path.name)
