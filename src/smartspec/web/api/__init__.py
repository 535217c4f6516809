"""The JSON REST API of the platform, under ``/api/v1`` (schema: ``/openapi.json``).

Authentication: ``POST /api/v1/auth/login`` sets an HttpOnly session cookie and returns the
session's CSRF token; state-changing calls made with the cookie must send that token in the
``X-CSRF-Token`` header. ``GET /api/v1/workspaces`` lists the caller's workspaces (401 when not
signed in). Every ``/workspaces/{slug}/...`` route answers 404 for a workspace of which the
caller is not a member, and for the id of an object of another workspace, exactly as for
objects that do not exist; a role below the route's minimum answers 403.

Routers
-------
:mod:`.auth` (sign-in, profile, invitations, user administration), :mod:`.workspaces`
(workspaces, members, invitations, audit log, exports), :mod:`.evidence` (regions, evidence
profile, candidates, TAs), :mod:`.strategy` (actors, actions, consortia, funding, good
practices), :mod:`.workshops` (EDW / ADW), :mod:`.monitoring` (indicators, observations, check,
self-assessment).
"""

from __future__ import annotations

from fastapi import APIRouter

from smartspec.web.api import auth, evidence, monitoring, strategy, workshops, workspaces

__all__ = ["PREFIX", "router"]

#: Path prefix of the API.
PREFIX = "/api/v1"

router = APIRouter(prefix=PREFIX)
for _module in (auth, workspaces, evidence, strategy, workshops, monitoring):
    router.include_router(_module.router)
