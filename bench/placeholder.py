"""What both benchmarks share: the SDK's placeholder signature, inserted as SDK clients send it.

Imported by the benchmark scripts (``python bench/<name>.py`` puts ``bench/`` on ``sys.path``).
"""

from __future__ import annotations

HEADER_END = b"</edXML:edXMLHeader>"

#: The SDK samples' placeholder signature (edoc_new.edxml): unprefixed, so in the QCVN namespace;
#: the node classifies it ``placeholder`` from the parsed header.
SDK_PLACEHOLDER_SIGNATURE = b"""      <Signature>
        <SignedInfo>
          <CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315" />
          <SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1" />
          <Reference URI="">
            <Transforms>
              <Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature" />
              <Transform Algorithm="http://www.w3.org/TR/xml-exc-c14n#" />
            </Transforms>
            <DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1" />
            <DigestValue>FwgIqsSYJshUS2+wlOM61L+q7Aw=</DigestValue>
          </Reference>
        </SignedInfo>
        <SignatureValue>GbVb8n9+qFxz466Ag0sbpVdLPs2R0+9JBekp12UyarAZjoG0W/kPZZJ1auRZDcNcrSwzgkQMpqrjwxcy3ejzbY/ON5USUPgoYNYM8p4wsgQpEAeQaZ+EWLkkEBxYjb+iWEiAjYuJI7gtJoOyENcOK4fO050SXp2ctOc32LJMA5eEI6Hw7sxhc2LAgcPiynJHdDW2Z+eut6QZiUsbIF9+S3T6u/tfLImw39dgSlCxupwLPHepxuiLOqyd08HeJGCZufg9WqRBVyLFM76uCIaPRP5wwAdx72GVjPcG2kh+2jjrt7fqtJOufJzCObtQgPgBqIvDiZCGoOM41OQMiqtF3w==</SignatureValue>
        <KeyInfo>
          <X509Data>
            <X509SubjectName>CN=user05</X509SubjectName>
            <X509Certificate>MIIFqTCCBJG</X509Certificate>
          </X509Data>
        </KeyInfo>
      </Signature>
"""


def with_placeholder(data: bytes) -> bytes:
    """Insert the SDK's placeholder signature as the last child of edXMLHeader."""
    at = data.index(HEADER_END)
    return data[:at].rstrip(b" ") + SDK_PLACEHOLDER_SIGNATURE + b"    " + data[at:]
