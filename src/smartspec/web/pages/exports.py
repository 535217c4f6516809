"""CSV / Excel downloads of every table of the workspace pages.

``/w/{slug}/export/{key}.{csv|xlsx}`` calls the table builder registered under ``key``
(:func:`smartspec.web.pages.common.table_builder`) with the request's query parameters: the
download holds exactly the rows the page shows, for the same role checks.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from smartspec.web.deps import check_access
from smartspec.web.pages.common import DB, PageContext, Viewer, builder_of, export_response

__all__ = ["router"]

router = APIRouter()


@router.get("/w/{slug}/export/{key}.{fmt}")
def export_table(slug: str, key: str, fmt: str, request: Request, db: DB,
                 access: Viewer) -> Response:
    builder, min_role = builder_of(key)
    if min_role != "viewer":
        access = check_access(request, slug, min_role)
    ctx = PageContext(request, db, access, access.user)
    table = builder(ctx)
    return export_response(table, fmt, labels=ctx.labels,
                           filename=f"{access.workspace.slug}-{key}")
