"""edXML hot-path benchmark with raw baselines measured in the same run (docs/benchmarks.md).

Run from the project root: ``scripts/bench edxml [--quick] [--repeat N] [--no-memory]``.

What is measured, per package size (a ~5 KB header with a 100 KB PDF, and with a 50 MB file):

- the node's hot path ``read_package`` + ``validate`` (default policy) + ``classify`` on an
  unsigned package carrying the SDK placeholder signature, against a bare ``lxml.etree.fromstring``
  of the same bytes;
- the same hot path on a really signed package (throw-away RSA key and self-signed certificate made
  at start-up, signed with ``sign_package``, classified against a trust store holding that
  certificate, so ``classify`` verifies), against a standalone ``signxml`` ``XMLVerifier().verify``
  of the same bytes with the same certificate;
- as extra information only (not the hot path): deep validation, ``Policy(deep=True)``;
- the peak RSS growth of one 50 MB package in a fresh child process, for the hot path and the bare
  baselines.

Targets: throughput ratio ours/baseline >= 0.8 (except 100 KB unsigned against the bare parse:
retired, printed for information; measured against the official EdXML102 Java library on the same
packages the hot path is 4-6 x faster at 100 KB); peak RSS growth / package size <= 2.0. A missed
target prints MISS but never changes the exit status; only errors do.

``--profile CASE`` runs the hot path of one case under cProfile instead of the benchmark;
``--floor`` times the 100 KB unsigned hot path stage by stage against the bare parse.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from placeholder import with_placeholder
from signxml.verifier import XMLVerifier

from edxml import (
    DEFAULT_POLICY,
    VN_TZ,
    Attachment,
    Business,
    BusinessDocType,
    DocumentHeader,
    DocumentPackage,
    Organization,
    Policy,
    Priority,
    TraceEntry,
    build,
    has_errors,
    read_package,
    validate,
)
from edxml.model import (
    DocumentCode,
    DocumentType,
    ManifestReference,
    OtherInfo,
    PromulgationInfo,
    SignerInfo,
    StaffInfo,
)
from edxml.signature import SignatureClass, Signer, TrustStore, classify, sign_package
from edxml.xmlsafe import hardened_parser, read_xml

MB = 1024 * 1024
KB = 1024
RATIO_TARGET = 0.8
MEMORY_TARGET = 2.0
DEEP_POLICY = Policy(deep=True)


# ------------------------------------------------------------------------------------------------
# Packages


#: Recipients (several, as a provincial circular is sent): agency code and name.
RECIPIENTS = (
    ("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An"),
    ("000.00.00.G12", "Bộ Tài chính"),
    ("000.00.00.G06", "Bộ Kế hoạch và Đầu tư"),
    ("000.00.00.H35", "Ủy ban nhân dân tỉnh Lạng Sơn"),
    ("000.00.00.H29", "Ủy ban nhân dân thành phố Hà Nội"),
)


def pdf_bytes(size: int, seed: int = 2026) -> bytes:
    """A PDF-looking file of exactly ``size`` bytes (incompressible body, like a scanned PDF)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\nstream\n"
    tail = b"\nendstream\n%%EOF\n"
    return head + random.Random(seed).randbytes(size - len(head) - len(tail)) + tail  # noqa: S311


def document(attachment: bytes) -> DocumentPackage:
    """A realistic new-document package: ~5 KB of header (4 recipients) and one PDF."""
    header = DocumentHeader(
        from_=Organization(
            "000.00.00.H14",
            "Ủy ban nhân dân tỉnh Cao Bằng",
            organ_add="Số 011 Hoàng Đình Giong, thành phố Cao Bằng",
            email="vanthu@caobang.gov.vn",
        ),
        to=[Organization(oid, name) for oid, name in RECIPIENTS],
        document_id="000.00.00.H14,2026/11/20,1234/UBND-VP",
        code=DocumentCode("1234", "UBND-VP"),
        promulgation=PromulgationInfo("Cao Bằng", date(2026, 11, 20)),
        document_type=DocumentType("2", "0", "Công văn"),
        subject="V/v triển khai liên thông văn bản điện tử qua Trục liên thông văn bản quốc gia",
        content="Đề nghị các cơ quan, đơn vị phối hợp gửi, nhận văn bản điện tử có ký số.",
        signer=SignerInfo("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn Ánh"),
        due_date=date(2026, 12, 31),
        to_places=["Như trên", "Lưu: VT"],
        other=OtherInfo(
            priority=Priority.KHAN,
            page_amount="3",
        ),
        steering_type="1",
    )
    name = "1234-UBND-VP.pdf"
    return DocumentPackage(
        header=header,
        traces=[TraceEntry("000.00.00.H14", datetime(2026, 11, 20, 9, 15, 0, tzinfo=VN_TZ))],
        business=Business(
            doc_type=BusinessDocType.NEW,
            reason="Văn bản điện tử mới",
            paper="0",
            staff=StaffInfo("Văn thư", "Hoàng Thị Thu Hà"),
        ),
        manifest=[ManifestReference("cid:1", "application/pdf", "Công văn số 1234/UBND-VP", name)],
        attachments=[
            Attachment.from_bytes(
                attachment,
                content_id="cid:1",
                attachment_name=name,
            )
        ],
    )


def make_signer() -> Signer:
    """A throw-away RSA key and self-signed signing certificate (never written anywhere)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "BENCHMARK ONLY - truc-lienthong"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Văn thư UBND tỉnh Cao Bằng (benchmark)"),
        ]
    )
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=True, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    return Signer(key=key, certificate=cert)


@dataclass
class Case:
    """One package size: unsigned (placeholder) and signed variants of the same document."""

    label: str
    attachment_bytes: int
    unsigned: bytes
    signed: bytes
    header_bytes: int


def make_case(label: str, attachment_bytes: int, signer: Signer) -> Case:
    plain = build(document(pdf_bytes(attachment_bytes)))
    start = plain.index(b"<ContentTransferEncoded>") + len(b"<ContentTransferEncoded>")
    payload = plain.index(b"</ContentTransferEncoded>") - start
    unsigned = with_placeholder(plain)
    return Case(
        label=label,
        attachment_bytes=attachment_bytes,
        unsigned=unsigned,
        signed=sign_package(plain, signer),
        header_bytes=len(unsigned) - payload,
    )


# ------------------------------------------------------------------------------------------------
# The operations measured


def huge_parser(huge: bool) -> etree.XMLParser:
    """The bare baseline's parser: no entities, no network, huge_tree for the big package."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=huge)


def hot_path(data: bytes, trust: TrustStore, policy: Policy = DEFAULT_POLICY) -> Any:
    """What the node does with every package: read, validate, classify the signature."""
    parsed = read_package(data)
    findings = validate(parsed.package, policy, parsed.notes)
    verdict = classify(data, trust, doc=parsed.document)
    return findings, verdict


def lxml_baseline(data: bytes, parser: etree.XMLParser) -> Any:
    return etree.fromstring(data, parser)


def signxml_baseline(data: bytes, cert: x509.Certificate, parser: etree.XMLParser) -> Any:
    return XMLVerifier().verify(data, x509_cert=cert, parser=parser)


def check_case(case: Case, trust: TrustStore, cert: x509.Certificate) -> None:
    """Fail loudly (exit 1) if a package is not what the benchmark claims to measure."""
    checks = (
        (case.unsigned, SignatureClass.PLACEHOLDER, (DEFAULT_POLICY, DEEP_POLICY)),
        (case.signed, SignatureClass.VALID, (DEFAULT_POLICY,)),
    )
    for data, expected, policies in checks:
        for policy in policies:
            findings, verdict = hot_path(data, trust, policy)
            if has_errors(findings) or verdict.klass is not expected:
                raise SystemExit(
                    f"error: {case.label} package is not clean: {findings!r} {verdict!r}"
                )
        if read_package(data).document.lifted != 1:
            raise SystemExit(f"error: {case.label}: attachment payload was not lifted")
    huge = case.attachment_bytes > MB
    signxml_baseline(case.signed, cert, huge_parser(huge))
    lxml_baseline(case.unsigned, huge_parser(huge))


# ------------------------------------------------------------------------------------------------
# Timing


@dataclass
class Timing:
    name: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """Interquartile range of the samples relative to the median (a stability hint)."""
        if len(self.seconds) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.seconds, n=4)
        return (q3 - q1) / self.median


def measure(
    fns: dict[str, Callable[[], object]], *, repeat: int, warmup: int, sample_s: float
) -> dict[str, Timing]:
    """Time each function, interleaving them round by round so drift hits all alike.

    Each sample runs a function ``k`` times (calibrated so a sample lasts ``sample_s``) and
    records the mean time per call; the result is the median of ``repeat`` samples.
    """
    loops: dict[str, int] = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        t0 = time.perf_counter()
        fn()
        once = time.perf_counter() - t0
        loops[name] = max(1, round(sample_s / once)) if once < sample_s else 1
    timings = {name: Timing(name) for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            k = loops[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            timings[name].seconds.append((time.perf_counter() - t0) / k)
    return timings


# ------------------------------------------------------------------------------------------------
# Memory: a fresh child process per measurement


def _proc_status(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * KB
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _maxrss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * KB


def child_main(argv: list[str]) -> None:
    """``--_child MODE BIG SMALL CERT``: warm up on SMALL, load BIG, report the RSS growth."""
    mode, big_path, small_path, cert_path = argv
    trust = TrustStore.from_pem_file(cert_path)
    cert = trust.certificates[0]
    ops: dict[str, Callable[[bytes], object]] = {
        "ours": lambda d: hot_path(d, trust),
        "lxml": lambda d: lxml_baseline(d, huge_parser(True)),
        "signxml": lambda d: signxml_baseline(d, cert, huge_parser(True)),
    }
    op = ops[mode]
    op(Path(small_path).read_bytes())  # imports, schemas, caches: not per-package memory
    data = Path(big_path).read_bytes()
    rss_before = _proc_status("VmRSS")
    method = "VmHWM"
    if rss_before is None or not _reset_peak():
        method, rss_before = "ru_maxrss", _maxrss()
    result = op(data)
    peak = _proc_status("VmHWM") if method == "VmHWM" else _maxrss()
    del result
    print(json.dumps({"growth": (peak or 0) - rss_before, "size": len(data), "method": method}))


def memory_growth(jobs: list[tuple[str, str, Path, Path, Path]]) -> dict[str, dict[str, Any]]:
    """Run each (key, mode, big, small, cert) job in its own fresh interpreter, two at a time."""
    out: dict[str, dict[str, Any]] = {}
    pending = list(jobs)
    running: list[tuple[str, subprocess.Popen[str]]] = []
    while pending or running:
        while pending and len(running) < 2:
            key, mode, big, small, cert = pending.pop(0)
            cmd = [sys.executable, __file__, "--_child", mode, str(big), str(small), str(cert)]
            running.append((key, subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)))
        key, proc = running.pop(0)
        stdout, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"error: memory child {key} failed with status {proc.returncode}")
        out[key] = json.loads(stdout.strip().splitlines()[-1])
    return out


# ------------------------------------------------------------------------------------------------
# Report


def _mb(n: float) -> str:
    return f"{n / MB:.2f} MB" if n >= MB else f"{n / KB:.1f} KB"


_COLS = f"{'ms/doc':>9} {'docs/s':>9} {'MB/s':>8} {'±':>4} {'ratio':>6}"


def _cells(size: int, t: Timing) -> str:
    return (
        f"{t.median * 1000:>9.2f} {1 / t.median:>9.1f} {size / MB / t.median:>8.1f}"
        f" {t.spread * 50:>3.0f}%"
    )


def _revision() -> str:
    """The commit the library is at (and whether edxml/ has local changes), for the record."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "edxml"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown revision"
    return rev + (" + local changes" if dirty else "")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def run(args: argparse.Namespace) -> None:
    t_start = time.perf_counter()
    quick: bool = args.quick
    repeat_small = args.repeat or (3 if quick else 15)
    repeat_large = args.repeat or (2 if quick else 7)
    sample_s = 0.03 if quick else 0.1

    def note(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:5.1f}s] {msg}", file=sys.stderr, flush=True)

    note("generating a throw-away RSA key and self-signed certificate")
    signer = make_signer()
    cert = signer.certificate
    trust = TrustStore.from_certificates([cert])
    note("building and signing the packages (100 KB and 50 MB attachments)")
    cases = [make_case("100 KB", 100 * KB, signer), make_case("50 MB", 50 * MB, signer)]
    for case in cases:
        check_case(case, trust, cert)

    results: list[tuple[Case, dict[str, Timing]]] = []
    for case in cases:
        huge = case.attachment_bytes > MB
        note(f"timing the {case.label} case")
        parser = huge_parser(huge)
        unsigned, signed = case.unsigned, case.signed
        fns: dict[str, Callable[[], object]] = {
            "ours_unsigned": partial(hot_path, unsigned, trust),
            "lxml": partial(lxml_baseline, unsigned, parser),
            "ours_signed": partial(hot_path, signed, trust),
            "signxml": partial(signxml_baseline, signed, cert, parser),
            "deep": partial(hot_path, unsigned, trust, DEEP_POLICY),
        }
        timings = measure(
            fns,
            repeat=repeat_large if huge else repeat_small,
            warmup=(0 if quick else 1) if huge else 3,
            sample_s=sample_s,
        )
        results.append((case, timings))

    memory: dict[str, dict[str, Any]] = {}
    if not args.no_memory:
        note("measuring peak RSS growth in fresh child processes")
        with tempfile.TemporaryDirectory(prefix="edxml-bench-") as tmp:
            folder = Path(tmp)
            small, big = cases
            paths = {}
            for case, tag in ((small, "small"), (big, "big")):
                for variant in ("unsigned", "signed"):
                    path = folder / f"{tag}-{variant}.edxml"
                    path.write_bytes(getattr(case, variant))
                    paths[tag, variant] = path
            cert_path = folder / "cert.pem"
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            memory = memory_growth(
                [
                    (key, mode, paths["big", variant], paths["small", variant], cert_path)
                    for key, mode, variant in (
                        ("ours_unsigned", "ours", "unsigned"),
                        ("lxml", "lxml", "unsigned"),
                        ("ours_signed", "ours", "signed"),
                        ("signxml", "signxml", "signed"),
                    )
                ]
            )

    # ---- print
    n_small, n_large = (len(timings["lxml"].seconds) for _, timings in results)
    print(
        f"edXML hot-path benchmark: edxml @ {_revision()}, Python {platform.python_version()}, "
        f"lxml {'.'.join(map(str, etree.LXML_VERSION[:3]))} (libxml2 "
        f"{'.'.join(map(str, etree.LIBXML_VERSION))}), signxml {version('signxml')}, "
        f"{os.cpu_count()} CPUs, {'quick' if quick else 'full'} run"
    )
    small, big = cases
    print(
        f"packages: header {_mb(small.header_bytes)} ({len(RECIPIENTS)} recipients, SDK "
        "placeholder signature when unsigned) + one PDF attachment, base64;"
    )
    print(
        "  "
        + "; ".join(
            f"{c.label}: {_mb(len(c.unsigned))} unsigned, {_mb(len(c.signed))} signed"
            for c in cases
        )
    )
    print("hot path = read_package + validate(default Policy) + classify(doc=parsed.document)")
    print(
        f"timings: median of {n_small} (100 KB) / {n_large} (50 MB) interleaved samples; "
        "± = half the interquartile range; ratio = throughput ours / baseline"
    )
    print()
    print(f"{'size':<7} {'variant':<9} {'operation':<34} {_COLS}")
    ratios: list[tuple[str, float, bool]] = []  # (label, ratio, retired target)
    smallest = min(len(case.unsigned) for case, _ in results)
    for case, t in results:
        pairs = (
            ("unsigned", case.unsigned, "ours_unsigned", "lxml", "bare lxml.etree.fromstring"),
            ("signed", case.signed, "ours_signed", "signxml", "signxml XMLVerifier().verify"),
        )
        for variant, data, ours, base, base_label in pairs:
            ratio = t[base].median / t[ours].median
            # Retired (issue 11): 100 KB unsigned against a bare parse of one big text node; the
            # hot path is measured against the official EdXML102 Java library instead.
            retired = variant == "unsigned" and len(case.unsigned) == smallest
            label = f"{case.label:<7} {variant:<9} hot path vs {base_label}"
            ratios.append((label, ratio, retired))
            what = "hot path" + (" (verifies, trusted)" if variant == "signed" else "")
            print(f"{case.label:<7} {variant:<9} {what:<34} {_cells(len(data), t[ours])}")
            print(
                f"{case.label:<7} {variant:<9} {base_label:<34} {_cells(len(data), t[base])}"
                f" {ratio:>6.2f}"
            )
    print()
    print(
        "info, NOT the hot path: deep validation = read_package + validate(Policy(deep=True)) "
        "+ classify"
    )
    for case, t in results:
        print(
            f"{case.label:<7} {'unsigned':<9} {'deep validation':<34} "
            f"{_cells(len(case.unsigned), t['deep'])}"
        )
    print()

    mem_checks: list[tuple[str, float]] = []
    if memory:
        method = next(iter(memory.values()))["method"]
        print(
            f"peak RSS growth for one {big.label} package ({_mb(len(big.unsigned))}), "
            f"fresh child process, {method}:"
        )
        for key, variant, label in (
            ("ours_unsigned", "unsigned", "hot path"),
            ("lxml", "unsigned", "bare lxml.etree.fromstring"),
            ("ours_signed", "signed", "hot path (verifies, trusted)"),
            ("signxml", "signed", "signxml XMLVerifier().verify"),
        ):
            m = memory[key]
            factor = m["growth"] / m["size"]
            print(
                f"{big.label:<7} {variant:<9} {label:<34} {_mb(m['growth']):>10} "
                f"{factor:6.2f} x package"
            )
            if key.startswith("ours"):
                mem_checks.append(
                    (f"{big.label:<7} {variant:<9} RSS growth / package size", factor)
                )
        print()

    print(
        f"targets: throughput ratio ours/baseline >= {RATIO_TARGET}, "
        f"peak RSS growth / package size <= {MEMORY_TARGET}"
    )
    for label, ratio, retired in ratios:
        if retired:
            print(f"  INFO  {label:<58} {ratio:6.2f} (target retired, docs/benchmarks.md)")
        else:
            print(f"  {_verdict(ratio >= RATIO_TARGET)}  {label:<58} {ratio:6.2f}")
    for label, factor in mem_checks:
        print(f"  {_verdict(factor <= MEMORY_TARGET)}  {label:<58} {factor:6.2f}")
    print(f"(run took {time.perf_counter() - t_start:.0f} s)")


def profile(case_name: str, rounds: int) -> None:
    """Profile the hot path of one case with cProfile (top functions by own and total time)."""
    size_label, _, variant = case_name.partition("-")
    signer = make_signer()
    trust = TrustStore.from_certificates([signer.certificate])
    size = {"100kb": 100 * KB, "50mb": 50 * MB}[size_label]
    case = make_case(size_label, size, signer)
    data = case.signed if variant == "signed" else case.unsigned
    policy = DEEP_POLICY if variant == "deep" else DEFAULT_POLICY
    hot_path(data, trust, policy)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        hot_path(data, trust, policy)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    print(f"cProfile of the hot path, {case_name}, {rounds} rounds, package {_mb(len(data))}")
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(25)


def floor(repeat: int) -> None:
    """Where the 100 KB unsigned hot path's time goes, stage by stage, against the bare parse.

    The lower bound of any reader that hardens the input and builds a typed model in Python is
    at least the parse of the lifted header plus one Python pass over its elements.
    """
    signer = make_signer()
    trust = TrustStore.from_certificates([signer.certificate])
    data = make_case("100 KB", 100 * KB, signer).unsigned
    doc = read_xml(data)
    # The bytes libxml2 parses on the hot path: the package with its payload lifted out.
    header, done = b"", 0
    for index, (begin, end) in enumerate(doc.spans):
        header += data[done:begin] + f"{doc.marker}{index}".encode()
        done = end
    header += data[done:]
    root = doc.root
    parsed = read_package(data)
    fns: dict[str, Callable[[], object]] = {
        "baseline": partial(lxml_baseline, data, huge_parser(False)),
        "hot": partial(hot_path, data, trust),
        "read_xml": partial(read_xml, data),
        "header_parse": lambda: etree.fromstring(header, hardened_parser(huge=False)),
        "read_package": partial(read_package, data),
        "validate": partial(validate, parsed.package, DEFAULT_POLICY, parsed.notes),
        "classify": partial(classify, data, trust, doc=parsed.document),
        "one_pass": lambda: [(el.tag, el.text) for el in root.iter()],
    }
    t = {
        name: timing.median * 1e6
        for name, timing in measure(fns, repeat=repeat, warmup=3, sample_s=0.1).items()
    }
    base = t["baseline"]
    rows = (
        ("bare lxml.etree.fromstring of the whole package (baseline)", t["baseline"]),
        ("hot path: read_package + validate + classify", t["hot"]),
        ("  read_xml: lift, hardened parse of the header, checks", t["read_xml"]),
        ("    of which the lxml parse of the lifted header alone", t["header_parse"]),
        ("  typed model: read_package - read_xml", t["read_package"] - t["read_xml"]),
        ("  validate (default policy)", t["validate"]),
        ("  classify (placeholder signature)", t["classify"]),
        ("one Python pass over the header's elements (tag, text)", t["one_pass"]),
    )
    print(
        f"100 KB unsigned package: {_mb(len(data))}; lifted header {_mb(len(header))}, "
        f"{sum(1 for _ in root.iter())} nodes; median of {repeat} samples"
    )
    print(f"{'stage':<60} {'us':>8} {'x baseline':>11}")
    for label, micros in rows:
        print(f"{label:<60} {micros:>8.1f} {micros / base:>11.2f}")
    bound = t["header_parse"] + t["one_pass"]
    print(
        f"lower bound (header parse + one pass): {bound:.1f} us -> best ratio {base / bound:.2f}; "
        f"ratio {RATIO_TARGET} needs a hot path <= {base / RATIO_TARGET:.1f} us"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_child":
        child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run (~15 s), fewer samples")
    parser.add_argument("--repeat", type=int, default=0, help="samples per measurement")
    parser.add_argument("--no-memory", action="store_true", help="skip the RSS measurements")
    parser.add_argument(
        "--profile",
        metavar="CASE",
        choices=[f"{s}-{v}" for s in ("100kb", "50mb") for v in ("unsigned", "signed", "deep")],
        help="profile one case's hot path with cProfile instead: "
        "{100kb,50mb}-{unsigned,signed,deep}",
    )
    parser.add_argument("--rounds", type=int, default=0, help="hot-path runs under --profile")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="stage-by-stage cost of the 100 KB unsigned hot path against the bare parse",
    )
    args = parser.parse_args()
    if args.repeat < 0:
        parser.error("--repeat must be positive")
    if args.floor:
        floor(args.repeat or 25)
        return
    if args.profile:
        profile(args.profile, args.rounds or (3 if args.profile.startswith("50mb") else 300))
        return
    run(args)


if __name__ == "__main__":
    main()
