"""Server-rendered pages of the platform (Jinja2, autoescaped) and their form handlers.

Every element of the S3 process has its page under ``/w/{slug}``:

=============================  =====================================================  ===========
Path                           Page                                                   Least role
=============================  =====================================================  ===========
``/login``, ``/logout``        sign in (rate-limited) / sign out (POST)               —
``/``                          the user's workspaces (administrators: new workspace)  signed in
``/w/{slug}``                  dashboard: map, key figures, TAs with traffic lights,  viewer
                               upcoming deadlines, recent activity
``/w/{slug}/evidence``         element 1: specialisations, activity space, peers,     viewer
                               history, context, data import (analyst)
``/w/{slug}/discovery``        element 2: candidates with live weights, quadrant,     viewer
                               robustness; ``/w/{slug}/ta/{code}``: one candidate/TA
``/w/{slug}/workshops``        EDW and ADW workshops (analysts facilitate,            viewer
                               stakeholders score)
``/w/{slug}/strategy``         element 3: draft strategy per TA, action editor,       viewer
                               consortium builder, actor matching, funding
``/w/{slug}/implementation``   element 4: kanban, timeline, good practices,           viewer
                               critical-mass gauges
``/w/{slug}/monitoring``       element 5: indicators, check, self-assessment, report  viewer
``/w/{slug}/members``          members and invitation links                           owner
``/admin/users``               accounts (create, reset password, deactivate)          admin
``/invite/{token}``            accept an invitation                                   —
=============================  =====================================================  ===========

Every table has CSV and Excel downloads (``/w/{slug}/export/{table}.{csv,xlsx}``), every chart
PNG and SVG downloads from its mode bar. State-changing forms carry the CSRF token (checked for
the whole application by :func:`smartspec.web.deps.verify_csrf`).
"""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import APIRouter

__all__ = ["router", "setup_app"]

_MODULES = ("auth", "admin", "dashboard", "evidence", "discovery", "workshops", "strategy",
            "implementation", "monitoring", "exports")

router = APIRouter(include_in_schema=False)
for _name in _MODULES:
    router.include_router(importlib.import_module(f"smartspec.web.pages.{_name}").router)


def setup_app(app: Any) -> None:
    """Errors of page requests (a browser asking for HTML) are shown as pages; API requests
    and other clients keep FastAPI's JSON answers. Redirects (sign in first) pass through."""
    from fastapi.exception_handlers import http_exception_handler
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException as StarletteHTTPException

    async def page_errors(request: Any, exc: StarletteHTTPException) -> Any:
        wants_html = "text/html" in request.headers.get("accept", "")
        if (exc.status_code < 400 or not wants_html or request.url.path.startswith("/api/")
                or request.url.path.startswith("/static/")):
            return await http_exception_handler(request, exc)
        return await run_in_threadpool(_error_page, request, exc)

    app.add_exception_handler(StarletteHTTPException, page_errors)


def _error_page(request: Any, exc: Any) -> Any:
    from smartspec.web.pages.common import PageContext

    try:
        from smartspec.web.deps import current_user, get_db

        user = current_user(request)
        db = get_db(request)
    except Exception:
        user, db = None, None
    ctx = PageContext(request, db, user=user)
    detail = exc.detail if isinstance(exc.detail, str) else ""
    response = ctx.render("error.html", {"status": exc.status_code, "detail": detail},
                          status_code=exc.status_code)
    for name, value in (getattr(exc, "headers", None) or {}).items():
        response.headers[name] = value
    return response
