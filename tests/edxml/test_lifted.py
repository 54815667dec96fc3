"""The lifted-digest verification (edxml.lifted) reaches signxml's verdict (docs/signatures.md).

Every test here classifies the same bytes twice, with the lifted path first (what ``classify``
does) and with the reference path forced (signxml on the whole package), and requires the two
verdicts to be equal field for field, message included. Keys are TEST ONLY (generate.py).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

import edxml.lifted
from edxml import read_package
from edxml.errors import PackageRejected
from edxml.lifted import LiftedResult, Unsupported
from edxml.limits import DEFAULT_LIMITS
from edxml.model import Attachment
from edxml.signature import (
    DEFAULT_SIGNATURE_POLICY,
    SignatureClass,
    SignaturePolicy,
    SignatureVerdict,
    TrustStore,
    _check_lifted,
    _classify,
    sign_package,
)
from edxml.writer import build
from edxml.xmlsafe import read_xml
from tests.edxml.conftest import corpus, sdk_samples
from tests.edxml.corpus.generate import document
from tests.edxml.corpus.signature import generate as gen

DS = gen.DS
SIGNATURE_CORPUS = Path(gen.__file__).resolve().parent
VALID, INVALID = SignatureClass.VALID, SignatureClass.INVALID
EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0


# ------------------------------------------------------------------------------------------------
# Helpers


def both(
    data: bytes,
    trust: TrustStore | None,
    *,
    now: datetime | None = None,
    policy: SignaturePolicy = DEFAULT_SIGNATURE_POLICY,
) -> tuple[SignatureVerdict, SignatureVerdict]:
    """(lifted path verdict, reference path verdict) for ``data``, read as classify reads it."""
    moment = now or datetime.now(UTC)
    doc = read_xml(data)
    lifted = _classify(data, doc, trust, DEFAULT_LIMITS, policy, moment, lifted=True)
    reference = _classify(data, doc, trust, DEFAULT_LIMITS, policy, moment, lifted=False)
    return lifted, reference


def same(
    data: bytes,
    trust: TrustStore | None,
    *,
    now: datetime | None = None,
    policy: SignaturePolicy = DEFAULT_SIGNATURE_POLICY,
) -> SignatureVerdict:
    """Assert both paths agree on ``data``; return the verdict."""
    lifted, reference = both(data, trust, now=now, policy=policy)
    assert lifted == reference
    return lifted


def decided_lifted(data: bytes, *, now: datetime | None = None) -> bool:
    """True when the lifted path reached a verdict itself (no fallback to signxml)."""
    moment = now or datetime.now(UTC)
    return _check_lifted(data, DEFAULT_LIMITS, DEFAULT_SIGNATURE_POLICY, moment) is not None


def payload_bounds(data: bytes) -> tuple[int, int]:
    """Offsets of the first attachment's base64 text."""
    start = data.index(b"<ContentTransferEncoded>") + len(b"<ContentTransferEncoded>")
    return start, data.index(b"</ContentTransferEncoded>", start)


def wrap_payload(data: bytes, width: int = 76, eol: bytes = b"\n") -> bytes:
    """Break the first payload into lines of ``width`` characters ending with ``eol``."""
    begin, end = payload_bounds(data)
    text = data[begin:end]
    lines = [text[i : i + width] for i in range(0, len(text), width)]
    return data[:begin] + eol + eol.join(lines) + eol + data[end:]


def resign(
    signed: bytes,
    key: object,
    edit: Callable[[etree._Element], None],
) -> bytes:
    """Edit ``SignedInfo``, then recompute DigestValue and SignatureValue as signxml computes them.

    TEST ONLY mini-signer for shapes signxml's signer does not make; the tests check with the
    reference path that the result verifies, so a bug here cannot hide one in edxml.lifted.
    """
    root = gen.tree(signed)
    sig = gen.signature_of(root)
    signed_info = sig.find(f"{DS}SignedInfo")
    assert signed_info is not None
    edit(signed_info)
    reference = signed_info.find(f"{DS}Reference")
    assert reference is not None
    algorithms = [t.get("Algorithm") for t in reference.iter(f"{DS}Transform")]
    c14n = next(
        (a for a in algorithms if a and "c14n" in a), CanonicalizationMethod.CANONICAL_XML_1_1.value
    )
    prefix_el = reference.find(f".//{{{edxml.lifted._EC[1:-1]}}}InclusiveNamespaces")
    prefixes = None if prefix_el is None else str(prefix_el.get("PrefixList")).split(" ")
    copied = etree.fromstring(etree.tostring(root))
    copied_sig = copied.find(f".//{DS}Signature")
    assert copied_sig is not None
    edxml.lifted._remove_signature(copied_sig)
    canonical = etree.tostring(
        copied,
        method="c14n",
        exclusive="exc-c14n" in c14n,
        with_comments=c14n.endswith("#WithComments"),
        inclusive_ns_prefixes=prefixes,
    )
    digest_value = reference.find(f"{DS}DigestValue")
    assert digest_value is not None
    digest_value.text = base64.b64encode(hashlib.sha256(canonical).digest()).decode()
    standalone = etree.fromstring(etree.tostring(sig))
    method = standalone.find(f"{DS}SignedInfo/{DS}CanonicalizationMethod")
    assert method is not None
    info_c14n = etree.tostring(
        standalone.find(f"{DS}SignedInfo"),
        method="c14n",
        exclusive="exc-c14n" in str(method.get("Algorithm")),
    )
    value = sig.find(f"{DS}SignatureValue")
    assert value is not None
    value.text = base64.b64encode(
        key.sign(info_c14n, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[attr-defined]
    ).decode()
    return gen.dump(root)


def _transforms(*uris: str) -> Callable[[etree._Element], None]:
    def edit(signed_info: etree._Element) -> None:
        transforms = signed_info.find(f"{DS}Reference/{DS}Transforms")
        assert transforms is not None
        for old in list(transforms):
            transforms.remove(old)
        for uri in uris:
            etree.SubElement(transforms, f"{DS}Transform", Algorithm=uri)

    return edit


def _inclusive_prefixes(signed_info: etree._Element) -> None:
    transform = signed_info.find(f"{DS}Reference/{DS}Transforms/{DS}Transform[2]")
    assert transform is not None
    ec_ns = edxml.lifted._EC[1:-1]
    etree.SubElement(transform, f"{{{ec_ns}}}InclusiveNamespaces", PrefixList="edXML")


def sign_ecdsa(data: bytes, world: gen.World) -> tuple[bytes, TrustStore]:
    """Sign with a TEST ONLY P-256 key and its self-signed certificate (ECDSA-SHA256)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST ONLY ECDSA signer")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(world.now - timedelta(days=1))
        .not_valid_after(world.now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    root = gen.tree(data)
    holder = etree.SubElement(gen.header_of(root), f"{DS}Signature", nsmap={"ds": gen.DSIG})
    holder.set("Id", "placeholder")
    signed = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    ).sign(root, key=key, cert=[cert])
    return gen.dump(signed), TrustStore.from_certificates([cert])


# ------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def world() -> gen.World:
    """A TEST ONLY PKI (root, intermediate, leaf valid now) and a rogue one."""
    return gen.make_world(datetime.now(UTC))


@pytest.fixture(scope="module")
def trust(world: gen.World) -> TrustStore:
    """The TEST ONLY root CA."""
    return world.pki.trust


@pytest.fixture(scope="module")
def signed_doc(world: gen.World) -> bytes:
    """A document package with a one-line base64 attachment, signed by the node."""
    return sign_package(build(document()), world.pki.signer)


@pytest.fixture(scope="module")
def signed_wrapped(world: gen.World) -> bytes:
    """A document package whose attachment is base64 in 76-character lines, signed."""
    return sign_package(wrap_payload(build(document())), world.pki.signer)


# ------------------------------------------------------------------------------------------------
# Corpus: every committed file, both paths


ALL_FILES = corpus("signature") + sdk_samples() + corpus("realworld") + corpus("valid")


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_has_the_same_verdict_on_both_paths(path: Path) -> None:
    """Lifted and signxml paths agree on every corpus and SDK file (trust.pem, CORPUS_NOW)."""
    store = TrustStore.from_pem_file(SIGNATURE_CORPUS / "trust.pem")
    same(path.read_bytes(), store, now=gen.CORPUS_NOW)


#: Corpus files that pass stage 1 but that the lifted path leaves to signxml, and why.
LEFT_TO_SIGNXML = {"key-value-mismatch__invalid.edxml"}  # KeyValue: signxml compares it


@pytest.mark.parametrize("path", corpus("signature"), ids=lambda p: p.name)
def test_lifted_path_decides_the_verifiable_corpus(path: Path) -> None:
    """The lifted path decides every corpus file itself (no signxml) but the listed ones."""
    assert decided_lifted(path.read_bytes(), now=gen.CORPUS_NOW) is (
        path.name not in LEFT_TO_SIGNXML
    )


# ------------------------------------------------------------------------------------------------
# Shapes: each variant verifies (or fails) alike on both paths


def _crlf(data: bytes) -> bytes:
    begin, end = payload_bounds(data)
    return data[:begin] + data[begin:end].replace(b"\n", b"\r\n") + data[end:]


def _lone_cr(data: bytes) -> bytes:
    begin, end = payload_bounds(data)
    return data[:begin] + data[begin:end].replace(b"\n", b"\r") + data[end:]


def _char_reference(data: bytes) -> bytes:
    begin, _ = payload_bounds(data)
    char = data[begin + 10 : begin + 11]
    return data[: begin + 10] + b"&#%d;" % char[0] + data[begin + 11 :]


def _second_attachment(data: bytes) -> bytes:
    root = gen.tree(data)
    attachment = next(root.iter("{*}Attachment"))
    attachment.addnext(copy.deepcopy(attachment))
    return gen.dump(root)


def _payload_in_comment(data: bytes) -> bytes:
    root = gen.tree(data)
    comment = etree.Comment("<ContentTransferEncoded>QUJD</ContentTransferEncoded>")
    gen.header_of(root).insert(0, comment)
    return gen.dump(root)


def _payload_in_signature_object(data: bytes) -> bytes:
    root = gen.tree(data)
    obj = etree.SubElement(gen.signature_of(root), f"{DS}Object")
    etree.SubElement(obj, "ContentTransferEncoded").text = "QUJDRA=="
    return gen.dump(root)


def _text_after_signature(data: bytes) -> bytes:
    root = gen.tree(data)
    gen.signature_of(root).tail = "unsigned words"
    return gen.dump(root)


def _marker_lookalike(data: bytes) -> bytes:
    return data.replace(b"<ContentId>cid:1<", b"<ContentId>@@payload-00:0<", 1)


def _gt_in_payload(data: bytes) -> bytes:
    begin, _ = payload_bounds(data)
    return data[: begin + 5] + b">" + data[begin + 5 :]


def _leading_bytes(data: bytes) -> bytes:
    return b"1212" + data


def _bom(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data


def _crlf_everywhere(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


#: name -> (build from (world, signed one-line doc, signed wrapped doc), expected class, lifted?)
SHAPES: dict[str, tuple[Callable[[gen.World, bytes, bytes], bytes], SignatureClass, bool]] = {
    "one-line-payload": (lambda w, d, r: d, VALID, True),
    "wrapped-payload": (lambda w, d, r: r, VALID, True),
    "crlf-in-payload": (lambda w, d, r: _crlf(r), VALID, True),
    "lone-cr-in-payload": (lambda w, d, r: _lone_cr(r), VALID, True),
    "crlf-everywhere": (lambda w, d, r: _crlf_everywhere(r), VALID, True),
    "char-reference-in-payload": (lambda w, d, r: _char_reference(d), VALID, True),
    "payload-in-comment": (lambda w, d, r: _payload_in_comment(d), VALID, True),
    "payload-in-signature-object": (lambda w, d, r: _payload_in_signature_object(d), VALID, False),
    "text-after-signature": (lambda w, d, r: _text_after_signature(d), INVALID, False),
    "marker-lookalike-after-signing": (lambda w, d, r: _marker_lookalike(d), INVALID, True),
    "gt-in-payload": (lambda w, d, r: _gt_in_payload(d), INVALID, False),
    "leading-bytes": (lambda w, d, r: _leading_bytes(d), VALID, True),
    "bom": (lambda w, d, r: _bom(d), VALID, True),
    "two-attachments": (
        lambda w, d, r: sign_package(_second_attachment(build(document())), w.pki.signer),
        VALID,
        True,
    ),
    "tampered-second-attachment": (
        lambda w, d, r: gen.tamper_attachment_char(
            sign_package(_second_attachment(build(document())), w.pki.signer)
        ),
        INVALID,
        True,
    ),
    "rsa-sha1": (
        lambda w, d, r: gen.sign_with_signxml(
            build(document()), w.pki.leaf_key, [w.pki.leaf, w.pki.inter], sha1=True
        ),
        VALID,
        True,
    ),
    **{
        f"c14n-{method.name.lower()}": (
            lambda w, d, r, method=method: gen.sign_with_signxml(
                build(document()), w.pki.leaf_key, [w.pki.leaf, w.pki.inter], c14n=method
            ),
            VALID,
            True,
        )
        for method in CanonicalizationMethod
    },
    "signature-child-of-root": (
        lambda w, d, r: gen.sign_with_signxml(
            build(document()), w.pki.leaf_key, [w.pki.leaf, w.pki.inter], placement="root"
        ),
        VALID,
        True,
    ),
    "enveloped-transform-only": (
        lambda w, d, r: resign(d, w.pki.leaf_key, _transforms(edxml.lifted._ENVELOPED)),
        VALID,
        True,
    ),
    "c14n-before-enveloped": (
        lambda w, d, r: resign(
            d, w.pki.leaf_key, _transforms(EXC_C14N.value, edxml.lifted._ENVELOPED)
        ),
        VALID,
        True,
    ),
    "inclusive-namespace-prefixes": (
        lambda w, d, r: resign(d, w.pki.leaf_key, _inclusive_prefixes),
        VALID,
        True,
    ),
    "two-c14n-transforms": (
        lambda w, d, r: resign(
            d,
            w.pki.leaf_key,
            _transforms(edxml.lifted._ENVELOPED, EXC_C14N.value, EXC_C14N.value),
        ),
        INVALID,
        False,
    ),
    "two-enveloped-transforms": (
        lambda w, d, r: resign(
            d,
            w.pki.leaf_key,
            _transforms(edxml.lifted._ENVELOPED, edxml.lifted._ENVELOPED, EXC_C14N.value),
        ),
        VALID,
        False,
    ),
    "key-value-matching": (
        lambda w, d, r: gen.add_key_value(d, w.pki.leaf_key.public_key()),
        VALID,
        False,
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shape_has_the_same_verdict_on_both_paths(
    shape: str, world: gen.World, trust: TrustStore, signed_doc: bytes, signed_wrapped: bytes
) -> None:
    """Each shape gets the same verdict both ways; the lifted path decides the usual ones."""
    make, expected, lifted = SHAPES[shape]
    data = make(world, signed_doc, signed_wrapped)
    verdict = same(data, trust)
    assert verdict.klass is expected, verdict
    assert decided_lifted(data) is lifted


def test_ecdsa_signature_has_the_same_verdict(world: gen.World) -> None:
    """ECDSA-SHA256 (P-256) verifies on the lifted path, and a flipped value fails alike."""
    data, store = sign_ecdsa(build(document()), world)
    assert same(data, store).klass is VALID
    assert decided_lifted(data)
    flipped = gen.flip_signature_value(data)
    assert same(flipped, store).reason == "SIGNATURE_BAD_VALUE"


def test_short_ecdsa_value_has_the_same_verdict(world: gen.World) -> None:
    """An ECDSA SignatureValue of the wrong length is a bad value on both paths, same message."""
    data, store = sign_ecdsa(build(document()), world)
    short = base64.b64encode(b"\x01" * 63).decode()
    assert same(gen.replace_signature_value(data, short), store).reason == "SIGNATURE_BAD_VALUE"


def test_policy_without_sha1_has_the_same_verdict(world: gen.World, trust: TrustStore) -> None:
    """With SHA-1 refused, an RSA-SHA1 package is refused the same way on both paths."""
    data = gen.sign_with_signxml(
        build(document()), world.pki.leaf_key, [world.pki.leaf, world.pki.inter], sha1=True
    )
    verdict = same(data, trust, policy=SignaturePolicy(allow_sha1=False))
    assert verdict.klass is INVALID


def test_certificate_dates_have_the_same_verdict(
    world: gen.World, trust: TrustStore, signed_doc: bytes
) -> None:
    """Before, inside and after the leaf's validity the two paths agree (dates are for trust)."""
    leaf = world.pki.leaf
    for moment in (
        leaf.not_valid_before_utc - timedelta(days=3),
        leaf.not_valid_after_utc + timedelta(days=3),
    ):
        assert same(signed_doc, trust, now=moment).klass is SignatureClass.UNTRUSTED


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_small_chunks_hash_and_scan_alike(
    chunk: int,
    monkeypatch: pytest.MonkeyPatch,
    trust: TrustStore,
    signed_wrapped: bytes,
) -> None:
    """CR normalisation and the character scan do not depend on where chunks end."""
    monkeypatch.setattr(edxml.lifted, "_CHUNK", chunk)
    for data in (signed_wrapped, _crlf(signed_wrapped), _lone_cr(signed_wrapped)):
        assert same(data, trust).klass is VALID
        assert decided_lifted(data)
    tampered = _crlf(signed_wrapped).replace(b"\r\n", b"\r\r\n", 1)
    assert same(tampered, trust).klass is INVALID


# ------------------------------------------------------------------------------------------------
# Tamperings (hypothesis): one-byte edits, wrapping, a moved signature


def _region(data: bytes, region: str) -> tuple[int, int]:
    if region == "payload":
        return payload_bounds(data)
    if region == "anywhere":
        return 0, len(data)
    if region == "header":
        return 0, data.index(b"<ds:Signature")
    tag = {
        "signed-info": b"ds:SignedInfo",
        "digest": b"ds:DigestValue",
        "value": b"ds:SignatureValue",
    }[region]
    begin = data.index(b"<" + tag)
    return begin, data.index(b"</" + tag, begin) + len(tag) + 3


INTERESTING = b"AZaz09+/= \t\r\n<>&\"';]-!?\x00\x0b\x7f\xc3\xa9\xff"
EDITS = st.tuples(
    st.sampled_from(("payload", "header", "signed-info", "digest", "value", "anywhere")),
    st.floats(0, 1, exclude_max=True),
    st.sampled_from(("replace", "insert", "delete")),
    st.one_of(st.sampled_from(list(INTERESTING)), st.integers(0, 255)),
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edit=EDITS, wrapped=st.booleans())
def test_byte_edits_have_the_same_verdict(
    edit: tuple[str, float, str, int],
    wrapped: bool,
    signed_doc: bytes,
    signed_wrapped: bytes,
    trust: TrustStore,
) -> None:
    """A one-byte edit anywhere gets the same verdict on both paths (or is not XML at all)."""
    region, where, operation, byte = edit
    data = signed_wrapped if wrapped else signed_doc
    begin, end = _region(data, region)
    at = begin + int(where * (end - begin))
    new = bytes([byte])
    if operation == "replace":
        mutated = data[:at] + new + data[at + 1 :]
    elif operation == "insert":
        mutated = data[:at] + new + data[at:]
    else:
        mutated = data[:at] + data[at + 1 :]
    try:
        read_xml(mutated)
    except PackageRejected:
        event("not XML: classify raises on both paths")
        return
    verdict = same(mutated, trust)
    event(f"{region}: {verdict.reason or verdict.klass.value}")
    event(f"lifted path decided: {decided_lifted(mutated)}")


def _elements(root: etree._Element) -> list[etree._Element]:
    sig = gen.signature_of(root)
    inside = set(sig.iter())
    return [el for el in root.iter(etree.Element) if el not in inside]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    action=st.sampled_from(("move-signature", "copy-element", "copy-into-signature", "drop")),
    pick=st.integers(0, 10_000),
    place=st.integers(0, 10_000),
)
def test_restructuring_has_the_same_verdict(
    action: str, pick: int, place: int, signed_doc: bytes, trust: TrustStore
) -> None:
    """Moving the signature, copying (wrapping) or dropping elements: same verdict both ways."""
    root = gen.tree(signed_doc)
    elements = _elements(root)
    sig = gen.signature_of(root)
    chosen = elements[pick % len(elements)]
    if action == "move-signature":
        chosen.insert(place % (len(chosen) + 1), sig)
    elif action == "copy-element":
        if chosen is root:
            return
        target = elements[place % len(elements)]
        target.insert(place % (len(target) + 1), copy.deepcopy(chosen))
    elif action == "copy-into-signature":
        obj = etree.SubElement(sig, f"{DS}Object")
        obj.append(copy.deepcopy(chosen))
    else:
        parent = chosen.getparent()
        if parent is None:
            return
        parent.remove(chosen)
    data = gen.dump(root)
    verdict = same(data, trust)
    event(f"{action}: {verdict.reason or verdict.klass.value}")
    if verdict.klass is VALID:
        # Only an edit that leaves the signed content as it was may stay valid.
        assert _signed_content(data) == _signed_content(signed_doc)


def _signed_content(data: bytes) -> bytes:
    root = gen.tree(data)
    sig = gen.signature_of(root)
    edxml.lifted._remove_signature(sig)
    return etree.tostring(root, method="c14n", exclusive=True)


# ------------------------------------------------------------------------------------------------
# Defence in depth and known limits


def test_lifted_result_of_a_subtree_is_wrapping(
    signed_doc: bytes, trust: TrustStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the lifted verification returned less than the whole package, the verdict is wrapping."""
    real = edxml.lifted.verify_lifted

    def partial(*args: object, **kwargs: object) -> LiftedResult:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        return LiftedResult(result.signed_xml[0], result.signature_xml, result.signature_key)

    monkeypatch.setattr("edxml.signature.verify_lifted", partial)
    verdict, _ = both(signed_doc, trust)
    assert verdict.klass is INVALID
    assert verdict.reason == "SIGNATURE_WRAPPING"


def test_unsupported_falls_back_to_signxml(
    signed_doc: bytes, trust: TrustStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the lifted verification declines, signxml decides (and the package is still valid)."""

    def decline(*args: object, **kwargs: object) -> LiftedResult:
        raise Unsupported("TEST")

    monkeypatch.setattr("edxml.signature.verify_lifted", decline)
    assert not decided_lifted(signed_doc)
    assert same(signed_doc, trust).klass is VALID


def test_large_payload_is_never_copied(trust: TrustStore, world: gen.World) -> None:
    """The lifted path hashes the payload in place: no object as large as the payload appears."""
    big = document()
    big.attachments[0] = Attachment.from_bytes(
        bytes(range(256)) * 8192, content_id="cid:1", attachment_name="big.pdf"
    )
    data = sign_package(build(big), world.pki.signer)
    doc = read_package(data).document
    tracemalloc.start()
    try:
        verdict = _classify(
            data, doc, trust, DEFAULT_LIMITS, DEFAULT_SIGNATURE_POLICY, datetime.now(UTC)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert verdict.klass is VALID
    begin, end = payload_bounds(data)
    assert peak < (end - begin) // 2, peak


def test_attachment_hidden_in_signature_object_is_not_read_as_signed(
    signed_doc: bytes, trust: TrustStore
) -> None:
    """A valid verdict must not come with an attachment the signature does not cover."""
    root = gen.tree(signed_doc)
    obj = etree.SubElement(gen.signature_of(root), f"{DS}Object")
    hidden = copy.deepcopy(next(root.iter("{*}AttachmentEncoded")))
    next(hidden.iter("{*}AttachmentName")).text = "unsigned.pdf"
    obj.append(hidden)
    data = gen.dump(root)
    verdict = same(data, trust)
    parsed = read_package(data)
    names = [a.attachment_name for a in parsed.package.attachments]
    assert verdict.klass is not VALID or names == ["1234-UBND-VP.pdf"]
    # The reader ignores it, and says so.
    assert names == ["1234-UBND-VP.pdf"]
    assert any(n.code == "EDXML_LAYOUT" and n.path == "Signature" for n in parsed.notes)


def test_marker_is_not_in_any_package_text(signed_doc: bytes) -> None:
    """The payload marker is drawn per read: two reads of the same bytes use different ones."""
    first, second = read_xml(signed_doc), read_xml(signed_doc)
    assert first.marker
    assert first.marker != second.marker
    assert re.fullmatch(r"@@payload-[0-9a-f]{24}:", first.marker)
    assert first.marker.encode() not in signed_doc
