"""The specification of every workspace route of the API: its least role and a valid request.

The isolation and role tests walk this table; a test checks that it names exactly the
workspace routes of ``/openapi.json``, so a new route cannot escape them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from smartspec.store import db
from smartspec.store import services as svc
from smartspec.store import web_services as wsvc
from smartspec.store.models_web import UserRecord

_counter = itertools.count(1)


@dataclass
class Call:
    """A request to make: path (filled in), JSON body, files, query."""

    method: str
    path: str
    json: Any = None
    files: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def send(self, client: Any) -> Any:
        kwargs: dict[str, Any] = {"params": self.params}
        if self.files is not None:
            kwargs["files"] = self.files
        elif self.json is not None:
            kwargs["json"] = self.json
        return client.request(self.method, self.path, **kwargs)


def workspace_ids(url: str, slug: str, *, member: str) -> dict[str, Any]:
    """Ids of one object of each kind in the workspace ``slug`` (creating a workshop and an
    invitation when it has none)."""
    from smartspec.store import monitoring_services as msvc

    with db.session_scope(url, user="test-setup") as s:
        ws = svc.get_workspace(s, slug)
        tas = svc.list_tas(s, ws, status="selected")
        workshops = wsvc.list_workshops(s, ws, kind="edw")
        if not workshops:
            from smartspec.store import planning

            items = list(planning.embedded_candidates(ws.home_region).sort_values("rank")
                         .index[:3])
            workshops = [wsvc.open_workshop(s, ws, "edw", title="EDW", items=items)]
        invitations = wsvc.list_invitations(s, ws)
        if not invitations:
            invitations = [wsvc.create_invitation(s, ws, "viewer")[1]]
        indicators = msvc.list_indicators(s, ws, ta=tas[0])
        selected = {t.activity for t in svc.list_tas(s, ws)}
        from smartspec.store import planning

        free = next(c for c in planning.embedded_candidates(ws.home_region)
                    .sort_values("rank").index if c not in selected)
        return {
            "slug": slug, "ta_id": tas[0].id, "actor_id": svc.list_actors(s, ws)[0].id,
            "action_id": svc.list_actions(s, ws)[0].id,
            "consortium_id": svc.list_consortia(s, ws)[0].id,
            "workshop_id": workshops[0].id, "item": workshops[0].items[0],
            "invitation_id": invitations[0].id,
            "user_id": s.scalar(select(UserRecord.id).where(UserRecord.username == member)),
            "instrument_id": svc.list_funding_instruments(s, ws)[0].id,
            "indicator_key": indicators[0].key,
            "result_key": next(i.key for i in indicators if i.kind != "context"),
            "free_activity": free,
        }


def spec(ids: dict[str, Any]) -> dict[tuple[str, str], tuple[str, Call]]:
    """``(method, path template) -> (least role, call)`` with the path ids of ``ids``."""
    from smartspec.monitoring.assessment import FACTORS

    n = next(_counter)
    w = "/api/v1/workspaces/{slug}"
    table: dict[tuple[str, str], tuple[str, Any]] = {
        ("GET", w): ("viewer", None),
        ("PATCH", w): ("owner", {"description": "isolation test"}),
        ("DELETE", w): ("owner", None),
        ("POST", w + "/regions"): ("analyst", {"code": "AT33"}),
        ("GET", w + "/members"): ("viewer", None),
        ("POST", w + "/members"): ("owner", {"username": "ada", "role": "viewer"}),
        ("PUT", w + "/members/{user_id}"): ("owner", {"role": "viewer"}),
        ("DELETE", w + "/members/{user_id}"): ("owner", None),
        ("GET", w + "/invitations"): ("owner", None),
        ("POST", w + "/invitations"): ("owner", {"role": "viewer"}),
        ("DELETE", w + "/invitations/{invitation_id}"): ("owner", None),
        ("GET", w + "/audit"): ("analyst", None),
        ("GET", w + "/export"): ("viewer", None),
        ("GET", w + "/tables/{table}"): ("viewer", None),
        ("GET", w + "/evidence"): ("viewer", None),
        ("GET", w + "/candidates"): ("viewer", None),
        ("GET", w + "/tas"): ("viewer", None),
        ("POST", w + "/tas"): ("analyst", {"activity": ids["free_activity"]}),
        ("GET", w + "/tas/{ta_id}"): ("viewer", None),
        ("PATCH", w + "/tas/{ta_id}"): ("analyst", {"status": "selected"}),
        ("GET", w + "/tas/{ta_id}/critical-mass"): ("viewer", None),
        ("GET", w + "/tas/{ta_id}/matches"): ("viewer", None),
        ("POST", w + "/tas/{ta_id}/strategy"): ("analyst", {"replace": False}),
        ("GET", w + "/tas/{ta_id}/strategy.html"): ("viewer", None),
        ("GET", w + "/tas/{ta_id}/indicators"): ("viewer", None),
        ("POST", w + "/tas/{ta_id}/indicators"): ("analyst", {"key": f"iso_{n}",
                                                              "kind": "result",
                                                              "name": "Isolation"}),
        ("POST", w + "/tas/{ta_id}/indicators/standard"): ("analyst", None),
        ("PATCH", w + "/tas/{ta_id}/indicators/{key}"): ("analyst", {"definition": "iso"}),
        ("POST", w + "/tas/{ta_id}/observations"): ("analyst", {
            "indicator": ids["result_key"], "year": 2020, "value": 1.0}),
        ("GET", w + "/tas/{ta_id}/check"): ("viewer", None),
        ("GET", w + "/check"): ("viewer", None),
        ("GET", w + "/observations"): ("viewer", None),
        ("POST", w + "/observations/import"): ("analyst", "observations"),
        ("GET", w + "/self-assessments"): ("viewer", None),
        ("GET", w + "/reports/monitoring.html"): ("viewer", None),
        ("GET", w + "/reports/monitoring.pdf"): ("viewer", None),
        ("POST", w + "/self-assessments"): ("analyst", {
            "assessed_on": "2024-05-01", "label": f"iso {n}",
            "scores": [{"participant": "P1", "factor": next(iter(FACTORS)), "score": 3}]}),
        ("GET", w + "/actors"): ("viewer", None),
        ("POST", w + "/actors"): ("analyst", {"name": f"Isolation Test {n} GmbH",
                                              "actor_type": "firm", "region": "AT31"}),
        ("POST", w + "/actors/import"): ("analyst", "actors"),
        ("GET", w + "/actors/{actor_id}"): ("viewer", None),
        ("PATCH", w + "/actors/{actor_id}"): ("analyst", {"size": 12}),
        ("DELETE", w + "/actors/{actor_id}"): ("analyst", None),
        ("GET", w + "/actions"): ("viewer", None),
        ("POST", w + "/actions"): ("analyst", {"title": "Isolation", "action_type":
                                               "funding_search"}),
        ("GET", w + "/actions/progress"): ("viewer", None),
        ("GET", w + "/actions/{action_id}"): ("viewer", None),
        ("PATCH", w + "/actions/{action_id}"): ("analyst", {"notes": "isolation"}),
        ("DELETE", w + "/actions/{action_id}"): ("analyst", None),
        ("GET", w + "/actions/{action_id}/funding"): ("viewer", None),
        ("GET", w + "/actions/{action_id}/good-practices"): ("viewer", None),
        ("GET", w + "/consortia"): ("viewer", None),
        ("POST", w + "/consortia/build"): ("analyst", {"ta_id": ids["ta_id"], "save": False}),
        ("GET", w + "/consortia/{consortium_id}"): ("viewer", None),
        ("DELETE", w + "/consortia/{consortium_id}"): ("analyst", None),
        ("GET", w + "/funding"): ("viewer", None),
        ("POST", w + "/funding"): ("analyst", {"key": f"iso-{n}", "name": "Isolation",
                                               "scope": "regional"}),
        ("PATCH", w + "/funding/{instrument_id}"): ("analyst", {"notes": "isolation"}),
        ("DELETE", w + "/funding/{instrument_id}"): ("analyst", None),
        ("GET", w + "/good-practices"): ("viewer", None),
        ("GET", w + "/workshops"): ("viewer", None),
        ("POST", w + "/workshops"): ("analyst", {"kind": "adw", "title": "Isolation ADW"}),
        ("GET", w + "/workshops/{workshop_id}"): ("viewer", None),
        ("GET", w + "/workshops/{workshop_id}/scores"): ("viewer", None),
        ("POST", w + "/workshops/{workshop_id}/scores"): ("stakeholder", {
            "item": ids["item"], "capacity": 3, "opportunity": 4, "comment": "iso"}),
        ("GET", w + "/workshops/{workshop_id}/aggregate"): ("viewer", None),
        ("GET", w + "/workshops/{workshop_id}/decisions"): ("viewer", None),
        ("POST", w + "/workshops/{workshop_id}/decisions"): ("analyst", {
            "item": ids["item"], "decision": "isolation"}),
        ("POST", w + "/workshops/{workshop_id}/close"): ("analyst", None),
        ("GET", w + "/workshops/{workshop_id}/minutes"): ("viewer", None),
        ("POST", w + "/workshops/{workshop_id}/select-ta"): ("analyst", {"item": ids["item"]}),
    }
    out: dict[tuple[str, str], tuple[str, Call]] = {}
    values = {**ids, "table": "actors", "key": ids["indicator_key"]}
    for (method, template), (role, body) in table.items():
        path = template.format(**values)
        files = None
        params: dict[str, Any] = {}
        if body == "actors":
            files = {"file": (f"actors{n}.csv",
                              f"name,actor_type,region\nIsolation Import {n},firm,AT31\n"
                              .encode())}
            body = None
        elif body == "observations":
            files = {"file": ("obs.csv", f"indicator,year,value\n{ids['result_key']},2019,2\n"
                              .encode())}
            params = {"ta_id": ids["ta_id"]}
            body = None
        out[(method, template)] = (role, Call(method, path, body, files, params))
    return out


#: Routes with an object id in the query string or the body (id guessing beyond the path).
def reference_calls(own: dict[str, Any], other: dict[str, Any]) -> list[Call]:
    """Calls in ``own``'s workspace that name an object of ``other``'s workspace."""
    w = f"/api/v1/workspaces/{own['slug']}"
    return [
        Call("GET", w + "/actions", params={"ta_id": other["ta_id"]}),
        Call("GET", w + "/actions/progress", params={"ta_id": other["ta_id"]}),
        Call("GET", w + "/consortia", params={"ta_id": other["ta_id"]}),
        Call("GET", w + "/observations", params={"ta_id": other["ta_id"]}),
        Call("POST", w + "/observations/import", params={"ta_id": other["ta_id"]},
             files={"file": ("o.csv", f"indicator,year,value\n{other['result_key']},2019,2\n"
                             .encode())}),
        Call("POST", w + "/actions", {"title": "x", "action_type": "funding_search",
                                      "ta_id": other["ta_id"]}),
        Call("POST", w + "/actions", {"title": "x", "action_type": "funding_search",
                                      "owner_id": other["actor_id"]}),
        Call("POST", w + "/actions", {"title": "x", "action_type": "funding_search",
                                      "participants": [own["actor_id"], other["actor_id"]]}),
        Call("PATCH", w + f"/actions/{own['action_id']}", {"ta_id": other["ta_id"]}),
        Call("PATCH", w + f"/actions/{own['action_id']}", {"owner_id": other["actor_id"]}),
        Call("PATCH", w + f"/actions/{own['action_id']}",
             {"participants": [other["actor_id"]]}),
        Call("POST", w + "/consortia/build", {"ta_id": other["ta_id"]}),
        Call("POST", w + "/consortia/build", {"ta_id": own["ta_id"], "budget": 1000,
                                              "costs": {str(other["actor_id"]): 10}}),
        Call("POST", w + "/workshops", {"kind": "adw", "title": "x", "ta_id": other["ta_id"]}),
        Call("POST", w + "/workshops", {"kind": "adw", "title": "x",
                                        "items": [str(other["action_id"])]}),
    ]
