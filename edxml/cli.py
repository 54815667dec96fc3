"""``python -m edxml``: validate, show, build and status commands.

- ``validate FILE...``: coded findings per file; exit 0 when no file has an error, 1 otherwise,
  2 on usage errors.
- ``show FILE``: one JSON object: kind, header fields, recipients, business operation, trace,
  attachments (name, content type, size, SHA-256 of the decoded bytes as transported, zip
  contents), signature class and findings. Never the attachments' content.
- ``build [FILE|-]``: JSON (the ``show`` layout, attachments by ``path`` or ``base64``) to edXML;
  an absent DocumentId, sender's TraceHeader or status Timestamp is filled
  (:func:`edxml.defaults.fill_defaults`); ``docs/examples/`` has a document and a status.
- ``status``: build a status package from arguments, optionally signed.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from edxml.defaults import fill_defaults
from edxml.errors import EdxmlError, Finding, Severity
from edxml.jsonio import from_data, to_data
from edxml.limits import DEFAULT_LIMITS, MB, Limits
from edxml.model import (
    VN_TZ,
    Attachment,
    DocumentPackage,
    Organization,
    ResponseFor,
    StaffInfo,
    StatusCode,
    StatusPackage,
)
from edxml.reader import ParsedPackage, parse_date, read_package
from edxml.signature import SignatureVerdict, Signer, TrustStore, classify, sign_package
from edxml.validate import Policy, has_errors, validate
from edxml.writer import build


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(max_package_bytes=int(args.max_mb * MB)) if args.max_mb else DEFAULT_LIMITS


def _trust(args: argparse.Namespace) -> TrustStore | None:
    return TrustStore.from_pem_file(args.trust) if args.trust else None


def _check(
    data: bytes, limits: Limits, trust: TrustStore | None
) -> tuple[ParsedPackage | None, SignatureVerdict | None, list[Finding]]:
    """Parse, validate (deep) and classify one package; a rejection becomes one error finding."""
    try:
        parsed = read_package(data, limits)
    except EdxmlError as exc:
        return None, None, [exc.as_finding()]
    findings = validate(parsed.package, Policy(limits=limits, deep=True), parsed.notes)
    verdict = classify(data, trust, doc=parsed.document, limits=limits)
    if verdict.klass == "invalid":
        # Node default policy (spec/edxml.md §5): accept every class but ``invalid``.
        findings.append(
            Finding(
                "SIGNATURE_INVALID",
                Severity.ERROR,
                "edXMLHeader/Signature",
                f"{verdict.reason or 'signature does not verify'}",
            )
        )
    return parsed, verdict, findings


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    limits, trust = _limits(args), _trust(args)
    failed = False
    report: list[dict[str, Any]] = []
    for name in args.files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            print(f"{name}: cannot read: {exc.strerror}", file=sys.stderr)
            failed = True
            continue
        parsed, verdict, findings = _check(data, limits, trust)
        bad = has_errors(findings)
        failed |= bad
        if args.json:
            report.append(
                {
                    "file": name,
                    "ok": not bad,
                    "kind": parsed.package.kind.value if parsed else None,
                    "signature": verdict.klass.value if verdict else None,
                    "findings": [f.as_dict() for f in findings],
                }
            )
            continue
        status = "FAIL" if bad else "OK"
        extra = (
            f" ({parsed.package.kind.value}, signature {verdict.klass.value})"
            if parsed and verdict
            else ""
        )
        print(f"{name}: {status}{extra}", file=out)
        for finding in findings:
            if finding.severity is Severity.ERROR or not args.quiet:
                print(f"  {finding}", file=out)
    if args.json:
        json.dump(report, out, ensure_ascii=False, indent=2)
        out.write("\n")
    return 1 if failed else 0


def _attachment_info(att: Attachment) -> dict[str, Any]:
    info: dict[str, Any] = to_data(att)
    info["zipped"] = att.is_zip
    info["size"] = att.size
    info["sha256"] = att.sha256
    if att.is_zip and att.sha256 is not None:
        try:
            info["inner_files"] = [
                {"name": f.name, "size": f.size, "sha256": f.sha256} for f in att.inner_files()
            ]
        except zipfile.BadZipFile as exc:
            info["inner_files_error"] = f"damaged zip archive: {exc}"
    return info


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"{args.file}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    parsed, verdict, findings = _check(data, _limits(args), _trust(args))
    result: dict[str, Any] = {"file": args.file, "ok": not has_errors(findings)}
    if parsed is not None:
        package = parsed.package
        body = to_data(package)
        result["kind"] = body.pop("kind")
        if isinstance(package, DocumentPackage):
            result["header"] = body.pop("header")
            result["recipients"] = [to.organ_id for to in package.header.to]
            result["priority"] = int(package.header.priority)
            result["business"] = body.pop("business")
            result["traces"] = body.pop("traces")
            result["manifest"] = body.pop("manifest")
            result["attachments"] = [_attachment_info(a) for a in package.attachments]
        else:
            result["traces"] = body.pop("traces")
            result["status"] = body
        result["signature"] = verdict.to_dict() if verdict else None
    result["findings"] = [f.as_dict() for f in findings]
    json.dump(result, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return 0 if parsed is not None else 1


def _stamp(text: str | None) -> datetime:
    """``--timestamp``: ISO 8601, +07:00 when it names no offset; default now."""
    stamp = datetime.now(VN_TZ) if not text else datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=VN_TZ)


def _cmd_build(args: argparse.Namespace, out: TextIO) -> int:
    source = sys.stdin if args.file in (None, "-") else None
    try:
        stamp = _stamp(args.timestamp)
    except ValueError as exc:
        print(f"BUILD_INPUT: --timestamp: {exc}", file=sys.stderr)
        return 2
    try:
        text = source.read() if source else Path(args.file).read_text(encoding="utf-8")
        data = json.loads(text)
        base = Path.cwd() if source else Path(args.file).resolve().parent
        package = from_data(data, base_dir=base)
        for field in fill_defaults(package, stamp):
            print(f"filled {field}", file=sys.stderr)
        findings = validate(package)
        if has_errors(findings) and not args.force:
            for finding in findings:
                print(str(finding), file=sys.stderr)
            return 1
        xml = build(package)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"BUILD_INPUT: {exc}", file=sys.stderr)
        return 2
    except EdxmlError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    _write(xml, args.output, out)
    return 0


def _write(xml: bytes, output: str | None, out: TextIO) -> None:
    if output:
        Path(output).write_bytes(xml)
    elif hasattr(out, "buffer"):
        out.buffer.write(xml)
        out.flush()
    else:
        out.write(xml.decode("utf-8"))


def _cmd_status(args: argparse.Namespace, out: TextIO) -> int:
    stamp = _stamp(args.timestamp)
    try:
        code: StatusCode | str = StatusCode(args.code)
    except ValueError:
        code = args.code
    package = StatusPackage(
        from_=Organization(organ_id=args.from_id, organ_name=args.from_name),
        response_for=ResponseFor(
            organ_id=args.to_id,
            code=args.doc_code,
            promulgation_date=parse_date(args.doc_date.replace("-", "/"))
            if args.doc_date
            else None,
            document_id=args.document_id,
        ),
        staff=StaffInfo(department=args.department, staff=args.staff)
        if args.staff or args.department
        else None,
        status_code=code,
        description=args.description,
        timestamp=stamp,
    )
    findings = validate(package)
    if has_errors(findings):
        for finding in findings:
            print(str(finding), file=sys.stderr)
        return 1
    try:
        xml = build(package)
        if args.sign_key and args.sign_cert:
            xml = sign_package(xml, Signer.from_files(args.sign_key, args.sign_cert))
    except (EdxmlError, OSError, ValueError) as exc:
        print(f"{getattr(exc, 'code', 'STATUS_BUILD')}: {exc}", file=sys.stderr)
        return 1
    _write(xml, args.output, out)
    return 0


_BUILD_DESCRIPTION = """\
Build an edXML package from JSON: the layout of `show` ("kind": "edoc" or "status"), with
attachments given by "path" (relative to the JSON file) or "base64". Examples: docs/examples/.

Filled when absent (blank counts as absent), never changed when present; each filled field is
named on stderr:
  - document MessageHeader/DocumentId: the canonical
    <From/OrganId>,<PromulgationDate yyyy/MM/dd>,<CodeNumber>/<CodeNotation>
  - document TraceHeaderList (no "traces"): one TraceHeader, the sender's From/OrganId at the
    build time (--timestamp)
  - status MessageHeader/Timestamp: the build time (--timestamp)
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m edxml", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--trust", help="PEM bundle of trusted CA certificates")
        p.add_argument("--max-mb", type=float, default=0, help="package size limit in MB (100)")

    v = sub.add_parser("validate", help="validate packages; exit 1 if any has an error")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--json", action="store_true", help="print a JSON report")
    v.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    common(v)

    s = sub.add_parser("show", help="print a package as JSON (no attachment content)")
    s.add_argument("file", metavar="FILE")
    common(s)

    b = sub.add_parser(
        "build",
        help="build an edXML package from JSON",
        description=_BUILD_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.add_argument("file", nargs="?", metavar="FILE", help="JSON file, or - for stdin")
    b.add_argument("-o", "--output", help="write to this file instead of stdout")
    b.add_argument("--force", action="store_true", help="build even if validation finds errors")
    b.add_argument(
        "--timestamp",
        help="ISO 8601 time of a filled TraceHeader or status Timestamp (default: now, +07:00)",
    )

    st = sub.add_parser("status", help="build a status package (hồi báo)")
    st.add_argument("--from", dest="from_id", required=True, help="reporting agency code")
    st.add_argument("--from-name", help="reporting agency name")
    st.add_argument("--code", required=True, help="status code: 01-06, 13, 15, 16")
    st.add_argument("--description", help="reason (required for 02, 13, 16)")
    st.add_argument("--to", dest="to_id", required=True, help="the other party's agency code")
    st.add_argument("--document-id", required=True, help="edXML DocumentId of the document")
    st.add_argument("--doc-code", help="number/notation of the document, e.g. 7816/VPCP-TTĐT")
    st.add_argument("--doc-date", help="promulgation date, yyyy/MM/dd or YYYY-MM-DD")
    st.add_argument("--staff", help="clerk's name")
    st.add_argument("--department", help="clerk's department")
    st.add_argument("--timestamp", help="ISO 8601 (default: now, +07:00)")
    st.add_argument("--sign-key", help="PEM private key to sign with (RSA-SHA256)")
    st.add_argument("--sign-cert", help="PEM certificate of the signing key")
    st.add_argument("-o", "--output", help="write to this file instead of stdout")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = _parser().parse_args(argv)
    stream = out or sys.stdout
    commands = {
        "validate": _cmd_validate,
        "show": _cmd_show,
        "build": _cmd_build,
        "status": _cmd_status,
    }
    return commands[args.command](args, stream)
