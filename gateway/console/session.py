"""The console's session: a signed cookie holding who signed in and the session's CSRF token.

The cookie is signed (itsdangerous, keyed by the node's ``secret_key`` with its own salt), so the
browser can read nothing it could change; it is ``HttpOnly`` (no script reads it),
``SameSite=Strict`` (no other site's page sends it) and ``Secure`` when the console is reached over
TLS: ``console_secure_cookie`` set, the request itself on https, or ``X-Forwarded-Proto: https``
from a proxy listed in ``trusted_proxies`` (anyone else could send that header).

A visitor who has not signed in gets a session too (no user, a CSRF token), so the sign-in form is
protected like every other form; signing in issues a new session with a new token (no fixation).
The signature carries its time: a session older than ``console_session_minutes`` is refused.
Signing out clears the cookie; the person's role and whether they are still enabled are read from
the people use case on every request, so a disabled user loses access at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gateway.settings import Settings

COOKIE = "gw_console"
PATH = "/console"
_SALT = "gateway.console.session"


def new_token() -> str:
    """A fresh random CSRF token."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Session:
    """What the cookie holds: the session's CSRF token and, once signed in, the username."""

    csrf: str
    username: str | None = None

    @classmethod
    def anonymous(cls) -> Session:
        """A session of nobody (yet), with its own token."""
        return cls(new_token())


class SessionCookies:
    """Reads and writes the session cookie with the node's key and rules."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.serializer = URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=_SALT)
        self.max_age = int(settings.console_session_minutes * 60)
        self.trusted = frozenset(
            part.strip() for part in settings.trusted_proxies.split(",") if part.strip()
        )

    def read(self, request: Request) -> Session | None:
        """The request's valid session, or None (none, tampered with, or expired)."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self.serializer.loads(raw, max_age=self.max_age)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        user = data.get("u")
        return Session(data["c"], user if isinstance(user, str) else None)

    def dump(self, session: Session) -> str:
        """The signed cookie value of ``session``."""
        return self.serializer.dumps({"c": session.csrf, "u": session.username})

    def secure(self, request: Request) -> bool:
        """Whether the cookie must be ``Secure``: the console is reached over TLS."""
        if self.settings.console_secure_cookie or request.url.scheme == "https":
            return True
        proxy = request.client.host if request.client else None
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return forwarded == "https" and proxy in self.trusted

    def write(self, request: Request, response: Response, session: Session) -> None:
        """Set ``session`` on ``response``."""
        response.set_cookie(
            COOKIE,
            self.dump(session),
            max_age=self.max_age,
            path=PATH,
            httponly=True,
            samesite="strict",
            secure=self.secure(request),
        )

    def clear(self, request: Request, response: Response) -> None:
        """Remove the session cookie."""
        response.delete_cookie(
            COOKIE, path=PATH, httponly=True, samesite="strict", secure=self.secure(request)
        )
