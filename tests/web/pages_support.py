"""Helpers of the page tests: a browser-like client that signs in through the login form and
posts forms with the CSRF token of the page, as a browser does (no ``X-CSRF-Token`` header)."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from web_support import password

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
HTML = {"Accept": "text/html,application/xhtml+xml"}


def csrf_of(page: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return html.unescape(found.group(1))


class PageClient:
    """A client that behaves like a browser: HTML requests, form posts with the page token."""

    def __init__(self, app: Any, username: str | None = None) -> None:
        self.http = TestClient(app)
        self.token = ""
        if username is not None:
            self.sign_in(username)

    def sign_in(self, username: str, secret: str | None = None, *, expect: int = 303) -> Any:
        page = self.get("/login")
        assert page.status_code == 200
        r = self.http.post("/login", data={"username": username,
                                           "password": secret or password(username),
                                           "csrf_token": csrf_of(page.text), "next": "/"},
                           headers=HTML, follow_redirects=False)
        assert r.status_code == expect, r.text[:500]
        if expect == 303:
            self.token = csrf_of(self.get("/").text)
        return r

    def get(self, path: str, **kwargs: Any) -> Any:
        headers = {**HTML, **kwargs.pop("headers", {})}
        return self.http.get(path, headers=headers, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
             follow: bool = False, **kwargs: Any) -> Any:
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf_token", self.token)
        headers = {**HTML, **kwargs.pop("headers", {})}
        return self.http.post(path, data=body, headers=headers, follow_redirects=follow,
                              **kwargs)

    def close(self) -> None:
        self.http.close()


def text_of(page: str) -> str:
    """The visible text of a page, roughly (tags removed, entities decoded)."""
    without = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", without))
