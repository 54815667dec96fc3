"""Signing in and out of the console: People checks the password, the session cookie's flags,
CSRF on the sign-in and sign-out forms, the lock-out message, no open redirect."""

from __future__ import annotations

from gateway.console.session import COOKIE
from gateway.core.actors import Action
from tests.gateway.console.conftest import PASSWORDS, Console, csrf_of


async def _audit_actions(console: Console) -> list[str]:
    entries = await console.node.runtime.audit.page(limit=100)
    return [entry.action for entry in entries]


async def test_wrong_password_shows_the_refusal_in_vietnamese_and_is_audited(
    embedded_console: Console,
) -> None:
    """A wrong password answers the form again with People's refusal; the attempt is audited."""
    http = embedded_console.client()
    page = await http.get("/console/login")
    assert page.status_code == 200
    assert 'lang="vi"' in page.text
    assert "Đăng nhập" in page.text
    answer = await http.post(
        "/console/login",
        data={"csrf": csrf_of(page.text), "username": "vanhanh1", "password": "sai-mat-khau-123"},
    )
    assert answer.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in answer.text
    assert (await http.get("/console/")).status_code == 303  # still signed out
    assert Action.SIGN_IN_FAILED.value in await _audit_actions(embedded_console)


async def test_sign_in_sets_a_signed_httponly_strict_cookie_and_sign_out_clears_it(
    embedded_console: Console,
) -> None:
    """Signing in sets an HttpOnly, SameSite=Strict cookie; signing out ends it; both audited."""
    http = embedded_console.client()
    page = await http.get("/console/login?next=/console/systems")
    answer = await http.post(
        "/console/login",
        data={
            "csrf": csrf_of(page.text),
            "username": "vanhanh1",
            "password": PASSWORDS["vanhanh1"],
            "next": "/console/systems",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/systems"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for flag in ("HttpOnly", "SameSite=strict", "Path=/console"):
        assert flag.lower() in cookie.lower(), cookie
    assert "secure" not in cookie.lower()  # plain http, no trusted proxy
    home = await http.get("/console/")
    assert home.status_code == 200
    assert "vanhanh1" in home.text
    bye = await http.post("/console/logout", data={"csrf": csrf_of(home.text)})
    assert bye.status_code == 303
    assert (await http.get("/console/")).status_code == 303
    actions = await _audit_actions(embedded_console)
    assert Action.SIGN_IN.value in actions
    assert Action.SIGN_OUT.value in actions


async def test_forms_without_the_session_token_are_refused_403(embedded_console: Console) -> None:
    """A POST without the session's CSRF token answers the coded 403 page, changing nothing."""
    http, _ = await embedded_console.signed_in("vanhanh1")
    answer = await http.post("/console/logout", data={"csrf": "forged"})
    assert answer.status_code == 403
    assert "CSRF_INVALID" in answer.text
    assert (await http.get("/console/")).status_code == 200  # still signed in
    stranger = embedded_console.client()
    login = await stranger.post(
        "/console/login", data={"username": "vanhanh1", "password": PASSWORDS["vanhanh1"]}
    )
    assert login.status_code == 403
    assert "CSRF_INVALID" in login.text


async def test_lock_out_after_repeated_failures_shows_people_message(
    embedded_console: Console,
) -> None:
    """After the allowed failures the name is locked, even for the right password: the page says."""
    http = embedded_console.client()
    token = csrf_of((await http.get("/console/login")).text)
    for _ in range(embedded_console.node.settings.sign_in_max_failures):
        await http.post(
            "/console/login", data={"csrf": token, "username": "kiemtoan", "password": "x" * 12}
        )
    answer = await http.post(
        "/console/login",
        data={"csrf": token, "username": "kiemtoan", "password": PASSWORDS["kiemtoan"]},
    )
    assert answer.status_code == 429
    assert "tạm khoá" in answer.text
    assert "try again after" in answer.text


async def test_secure_cookie_behind_a_trusted_tls_proxy_only(embedded_console: Console) -> None:
    """The cookie is Secure behind a trusted TLS proxy or by the setting, not on a forged header."""
    from starlette.requests import Request

    from gateway.console.session import SessionCookies
    from gateway.settings import Settings

    http = embedded_console.client()
    page = await http.get("/console/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in page.headers["set-cookie"].lower()  # the client is not trusted

    def proxied(client: str) -> Request:
        return Request(
            {
                "type": "http",
                "method": "GET",
                "scheme": "http",
                "path": "/console/",
                "query_string": b"",
                "headers": [(b"x-forwarded-proto", b"https")],
                "client": (client, 40000),
                "server": ("node", 80),
            }
        )

    trusted = SessionCookies(Settings(trusted_proxies="10.0.0.5, 10.0.0.6"))
    assert trusted.secure(proxied("10.0.0.5"))
    assert not trusted.secure(proxied("10.9.9.9"))
    assert SessionCookies(Settings(console_secure_cookie=True)).secure(proxied("10.9.9.9"))


async def test_a_tampered_cookie_is_nobody_and_next_never_leaves_the_console(
    embedded_console: Console,
) -> None:
    """A cookie changed by hand is no session; ``next`` pointing off the console goes home."""
    http, _ = await embedded_console.signed_in("quantri")
    value = http.cookies.get(COOKIE, path="/console") or ""
    http.cookies.set(
        COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"), path="/console"
    )
    assert (await http.get("/console/")).status_code == 303
    stranger = embedded_console.client()
    page = await stranger.get("/console/login")
    answer = await stranger.post(
        "/console/login",
        data={
            "csrf": csrf_of(page.text),
            "username": "quantri",
            "password": PASSWORDS["quantri"],
            "next": "//evil.example/console",
        },
    )
    assert answer.headers["location"] == "/console/"
