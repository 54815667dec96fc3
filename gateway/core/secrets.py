"""Secrets of connected systems: encrypted at rest, tokens hashed at rest.

A system's VXP secret must be recoverable (the HMAC needs it), so it is encrypted with Fernet
(AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key derived from the node's
``GATEWAY_SECRET_KEY`` with HKDF. Native-API bearer tokens are only ever compared, so only their
SHA-256 is stored. Neither value is ever logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Prefix of native-API tokens, so that a leaked token is recognisable in logs and scanners.
TOKEN_PREFIX = "gwt_"  # noqa: S105 - a public prefix, not a secret


class SecretBox:
    """Encrypts and decrypts system secrets with a key derived from the node's secret key."""

    def __init__(self, node_secret: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"truc-gateway", info=b"system-secrets"
        ).derive(node_secret.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> bytes:
        """The encrypted form of ``secret`` (what the store keeps)."""
        return self._fernet.encrypt(secret.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        """The plain secret; raises ``ValueError`` when the node's key changed."""
        try:
            return self._fernet.decrypt(sealed).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError(
                "a system secret cannot be decrypted: GATEWAY_SECRET_KEY changed since it was set"
            ) from exc


def new_secret() -> str:
    """A random VXP secret (printed once when an operator does not give one)."""
    return _random.token_urlsafe(24)


def new_token() -> str:
    """A random native-API bearer token."""
    return TOKEN_PREFIX + _random.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
