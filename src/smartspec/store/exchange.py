"""Export and import of a whole workspace as one JSON file or a ZIP archive.

For backups and for sharing a workspace between regions or installations. The file is
self-contained: references between objects use *local references* (``ref``: 1, 2, ... in file
order) instead of database ids, so a workspace can be imported into any store.

Format (``format_version`` 1)
-----------------------------
A JSON object::

    {"format": "smartspec-workspace", "format_version": 1, "schema_revision": "0002",
     "exported_at": "...", "generator": "smartspec 0.1.0",
     "workspace": {"name", "slug", "description", "data_version", "created_at"},
     "regions": [{"code", "role", "name"}],
     "tas": [{"ref", "activity", "label", "mode", "status", "selected_at", "evidence_snapshot"}],
     "actors": [{"ref", "name", "actor_type", "region", "activities", "technologies", "skills",
                 "size", "contact_role", "fictional", "created_at"}],
     "actions": [{"ref", "ta", "owner", "participants", "position", "title", "action_type",
                  "description", "status", "start", "end", "deadline", "budget", "committed",
                  "spent", "regions", "notes", "attachments", "rationale", "milestones",
                  "indicators", "created_at"}],
     "consortia": [{"ref", "ta", "name", "coverage", "parameters", "notes", "created_at",
                    "members": [{"actor", "role"}]}],
     "funding_instruments": [{...the catalogue entry's fields}],
     "good_practices": [{...the workspace's own entries (the global library is not copied)}],
     "monitoring_records": [{"ta", "indicator_key", "kind", "year", "value", "unit", "source",
                             "note", "created_at", "origin", "data_version"}],
     "monitoring_indicators": [{"ta", "key", "kind", "name", "unit", "direction", "definition",
                                "source", "baseline_value", "baseline_year", "target_value",
                                "target_year", "computed", "parameters"}],
     "monitoring_plans": [{"ta", "critical_mass_due", "top_k", "rules", "helix_baseline",
                           "notes"}],
     "monitoring_data_years": [{"dataset", "year", "checksum", "n_regions", "n_activities",
                                "meta", "matrix", "imported_at"}],
     "monitoring_report_snapshots": [{"created_at", "as_of", "data_version", "summary"}],
     "self_assessments": [{"assessed_on", "label", "framework", "notes", "created_at",
                           "scores": [{"step", "factor", "participant", "score", "comment"}]}],
     "audit_log": [{"who", "at", "action", "table_name", "object_id", "before", "after",
                    "context"}]            # only with include_audit=True
    }

``ta``, ``owner``, ``participants`` and ``actor`` hold local references. Dates are ISO 8601
(``YYYY-MM-DD``), timestamps ISO 8601 in UTC. A ZIP archive holds ``workspace.json`` (the same
document) and ``attachments.json``, an index of the actions' attachment metadata (name, size,
media type, URI); attachment contents are not part of the store.

Import is one transaction: the file is validated with the same rules as the services (actor
types, date order, amounts, vocabulary ...), and any error leaves the store unchanged. When the
slug is taken, the imported workspace gets a new one (``slug-2`` ...) unless
``on_conflict="error"``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import services as svc
from .models import (
    ActionRecord,
    ActorRecord,
    AuditLog,
    Consortium,
    FundingInstrumentRecord,
    GoodPracticeRecord,
    MonitoringRecord,
    Workspace,
    utcnow,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_IMPORT_BYTES",
    "ExchangeError",
    "export_workspace",
    "import_workspace",
    "read_document",
    "workspace_document",
    "write_document",
]

#: Value of the document's ``format`` field.
FORMAT = "smartspec-workspace"
#: Version of the document format written by this module.
FORMAT_VERSION = 1
#: Largest file :func:`import_workspace` accepts.
MAX_IMPORT_BYTES = 200 * 1024 * 1024

_SECTIONS = ("regions", "tas", "actors", "actions", "consortia", "funding_instruments",
             "good_practices", "monitoring_records")


class ExchangeError(svc.StoreError):
    """The file cannot be exported or imported (names the file and the place in it)."""


# --------------------------------------------------------------------------------- export


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    return value.isoformat()


def workspace_document(session: Session, workspace: Workspace | str | int, *,
                       include_audit: bool = False) -> dict[str, Any]:
    """The export document of a workspace (see the module docstring), as plain JSON data."""
    from smartspec import __version__

    from .db import head_revision

    ws = svc.get_workspace(session, workspace)
    tas = svc.list_tas(session, ws)
    ta_ref = {ta.id: i for i, ta in enumerate(tas, start=1)}
    actors = list(session.scalars(select(ActorRecord).where(ActorRecord.workspace_id == ws.id)
                                  .order_by(ActorRecord.id)))
    actor_ref = {a.id: i for i, a in enumerate(actors, start=1)}
    actions = list(session.scalars(select(ActionRecord).where(
        ActionRecord.workspace_id == ws.id).order_by(ActionRecord.id)))
    consortia = list(session.scalars(select(Consortium).where(
        Consortium.workspace_id == ws.id).order_by(Consortium.id)))
    instruments = list(session.scalars(select(FundingInstrumentRecord).where(
        FundingInstrumentRecord.workspace_id == ws.id).order_by(FundingInstrumentRecord.id)))
    practices = list(session.scalars(select(GoodPracticeRecord).where(
        GoodPracticeRecord.workspace_id == ws.id).order_by(GoodPracticeRecord.id)))
    records = list(session.scalars(select(MonitoringRecord).where(
        MonitoringRecord.workspace_id == ws.id).order_by(MonitoringRecord.id)))

    def ref(mapping: dict[int, int], key: int | None) -> int | None:
        return mapping[key] if key is not None else None

    doc: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": head_revision(),
        "exported_at": _iso(utcnow()),
        "generator": f"smartspec {__version__}",
        "workspace": {"name": ws.name, "slug": ws.slug, "description": ws.description,
                      "data_version": ws.data_version, "created_at": _iso(ws.created_at)},
        "regions": [{"code": r.code, "role": r.role, "name": r.name}
                    for r in sorted(ws.regions, key=lambda r: r.id)],
        "tas": [{"ref": ta_ref[t.id], "activity": t.activity, "label": t.label, "mode": t.mode,
                 "status": t.status, "selected_at": _iso(t.selected_at),
                 "evidence_snapshot": t.evidence_snapshot} for t in tas],
        "actors": [{"ref": actor_ref[a.id], "name": a.name, "actor_type": a.actor_type,
                    "region": a.region, "activities": list(a.activities),
                    "technologies": list(a.technologies), "skills": list(a.skills),
                    "size": a.size, "contact_role": a.contact_role,
                    "fictional": bool(a.fictional), "created_at": _iso(a.created_at)}
                   for a in actors],
        "actions": [{"ref": i, "ta": ref(ta_ref, a.ta_id), "owner": ref(actor_ref, a.owner_id),
                     "participants": [actor_ref[p] for p in a.participant_ids],
                     "position": a.position, "title": a.title, "action_type": a.action_type,
                     "description": a.description, "status": a.status, "start": _iso(a.start),
                     "end": _iso(a.end), "deadline": _iso(a.deadline), "budget": a.budget,
                     "committed": a.committed, "spent": a.spent, "regions": list(a.regions),
                     "notes": a.notes, "attachments": list(a.attachments),
                     "rationale": a.rationale, "milestones": list(a.milestones),
                     "indicators": list(a.indicators), "created_at": _iso(a.created_at)}
                    for i, a in enumerate(actions, start=1)],
        "consortia": [{"ref": i, "ta": ref(ta_ref, c.ta_id), "name": c.name,
                       "coverage": c.coverage, "parameters": c.parameters, "notes": c.notes,
                       "created_at": _iso(c.created_at),
                       "members": [{"actor": actor_ref[m.actor_id], "role": m.role}
                                   for m in c.members]}
                      for i, c in enumerate(consortia, start=1)],
        "funding_instruments": [
            {name: getattr(f, name) for name in svc._INSTRUMENT_FIELDS} for f in instruments],
        "good_practices": [{name: getattr(p, name) for name in svc._PRACTICE_FIELDS}
                           for p in practices],
        "monitoring_records": [
            {"ta": ta_ref[r.ta_id], "indicator_key": r.indicator_key, "kind": r.kind,
             "year": r.year, "value": r.value, "unit": r.unit, "source": r.source,
             "note": r.note, "created_at": _iso(r.created_at), "origin": r.origin,
             "data_version": r.data_version} for r in records],
    }
    # element 5 (monitoring): indicator definitions, plans, data years, snapshots, assessments
    from .monitoring_services import export_sections

    doc.update(export_sections(session, ws, ta_ref))
    if include_audit:
        entries = session.scalars(select(AuditLog).where(AuditLog.workspace_id == ws.id)
                                  .order_by(AuditLog.id))
        doc["audit_log"] = [{"who": e.who, "at": _iso(e.at), "action": e.action,
                             "table_name": e.table_name, "object_id": e.object_id,
                             "before": e.before, "after": e.after, "context": e.context}
                            for e in entries]
    return doc


def _attachments_index(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"action": action["ref"], "action_title": action["title"], **attachment}
            for action in doc.get("actions", []) for attachment in action.get("attachments", [])]


def write_document(doc: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write an export document to ``path``: ``.zip`` gives an archive, anything else JSON."""
    path = Path(path)
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("workspace.json", text)
            archive.writestr("attachments.json",
                             json.dumps(_attachments_index(doc), ensure_ascii=False, indent=2))
    else:
        tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def export_workspace(session: Session, workspace: Workspace | str | int,
                     path: str | os.PathLike[str], *, include_audit: bool = False) -> Path:
    """Export a workspace to a JSON file or (``.zip`` suffix) a ZIP archive.

    Returns the path written. ``include_audit`` adds the workspace's audit log (for backups).
    """
    return write_document(workspace_document(session, workspace, include_audit=include_audit),
                          path)


# --------------------------------------------------------------------------------- import


def read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read an export document from a JSON file or a ZIP archive, checking its format header.

    Raises
    ------
    ExchangeError
        Unreadable file, invalid JSON, not a smartspec workspace, unsupported format version.
    """
    path = Path(path)
    origin = str(path)
    if not path.is_file():
        raise ExchangeError(f"{origin}: file not found")
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise ExchangeError(f"{origin}: file larger than {MAX_IMPORT_BYTES // 2**20} MiB")
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                info = archive.getinfo("workspace.json")
                if info.file_size > MAX_IMPORT_BYTES:
                    raise ExchangeError(f"{origin}: workspace.json is larger than "
                                        f"{MAX_IMPORT_BYTES // 2**20} MiB")
                data = archive.read(info)
        except KeyError:
            raise ExchangeError(f"{origin}: the ZIP archive has no workspace.json") from None
        except zipfile.BadZipFile as exc:
            raise ExchangeError(f"{origin}: damaged ZIP archive ({exc})") from exc
        origin += ":workspace.json"
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ExchangeError(f"{origin}: not UTF-8 text ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise ExchangeError(f"{origin}: invalid JSON at line {exc.lineno}, column {exc.colno}: "
                            f"{exc.msg}") from exc
    check_header(doc, origin)
    return doc


def check_header(doc: Any, origin: str = "<document>") -> None:
    """Refuse documents that are not smartspec workspaces of a supported format version."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ExchangeError(f"{origin}: not a smartspec workspace export (expected "
                            f"\"format\": \"{FORMAT}\")")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ExchangeError(f"{origin}: format_version must be a positive integer, got "
                            f"{version!r}")
    if version > FORMAT_VERSION:
        raise ExchangeError(f"{origin}: format version {version} was written by a newer "
                            f"smartspec (this one reads up to {FORMAT_VERSION}); upgrade smartspec")


def _timestamp(value: Any, where: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise svc.StoreValidationError(f"{where} must be an ISO 8601 timestamp, got {value!r}")
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        raise svc.StoreValidationError(f"{where} must be an ISO 8601 timestamp, got "
                                       f"{value!r}") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _items(doc: Mapping[str, Any], section: str) -> list[dict[str, Any]]:
    items = doc.get(section, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise svc.StoreValidationError(f"{section} must be a list of objects")
    return items


def _refs(items: list[dict[str, Any]], section: str) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for i, item in enumerate(items):
        key = item.get("ref")
        if not isinstance(key, int | str) or isinstance(key, bool) or key in out:
            raise svc.StoreValidationError(f"{section}[{i}].ref must be a unique integer or "
                                           f"text, got {key!r}")
        out[key] = i
    return out


class _Importer:
    def __init__(self, session: Session, doc: Mapping[str, Any], origin: str) -> None:
        self.session = session
        self.doc = doc
        self.origin = origin
        self.ta_ids: dict[Any, int] = {}
        self.actor_ids: dict[Any, int] = {}

    def fail(self, where: str, exc: Exception) -> ExchangeError:
        return ExchangeError(f"{self.origin}: {where}: {exc}")

    def lookup(self, mapping: dict[Any, int], key: Any, what: str) -> int | None:
        if key is None:
            return None
        if key not in mapping:
            raise svc.StoreValidationError(f"refers to unknown {what} ref {key!r}")
        return mapping[key]

    def run(self, slug: str | None, on_conflict: str, name: str | None) -> Workspace:
        session, doc = self.session, self.doc
        meta = doc.get("workspace")
        if not isinstance(meta, dict):
            raise self.fail("workspace", svc.StoreValidationError("missing workspace object"))
        wanted = slug or str(meta.get("slug") or svc.slugify(str(meta.get("name", ""))))
        taken = session.scalar(select(Workspace.id).where(Workspace.slug == wanted))
        if taken is not None:
            if on_conflict == "error":
                raise svc.ConflictError(f"{self.origin}: a workspace with slug {wanted!r} "
                                        "already exists")
            wanted = svc.unique_slug(session, wanted)
        try:
            ws = Workspace(
                name=svc._text(name or meta.get("name"), "workspace name", max_len=200,
                               required=True),
                slug=wanted,
                description=svc._text(meta.get("description"), "description", max_len=20000),
                data_version=meta.get("data_version"),
                created_at=_timestamp(meta.get("created_at"), "created_at") or utcnow())
            if not svc._SLUG.match(ws.slug):
                raise svc.StoreValidationError(f"slug {ws.slug!r} is not a valid slug")
            session.add(ws)
            session.flush()
        except ValueError as exc:
            raise self.fail("workspace", exc) from exc
        for section in _SECTIONS:
            try:
                items = _items(doc, section)
            except ValueError as exc:
                raise self.fail(section, exc) from exc
            getattr(self, f"_import_{section}")(ws, items)
        from .monitoring_services import import_sections

        try:
            import_sections(session, ws, doc, self.ta_ids, origin=self.origin)
        except ValueError as exc:
            raise ExchangeError(str(exc)) from exc
        if "audit_log" in doc:
            self._import_audit(ws, _items(doc, "audit_log"))
        session.flush()
        return ws

    def _each(self, section: str, items: list[dict[str, Any]], func: Any) -> None:
        for i, item in enumerate(items):
            label = item.get("name") or item.get("title") or item.get("activity") or \
                item.get("key") or item.get("code") or item.get("indicator_key")
            where = f"{section}[{i}]" + (f" ({label!r})" if label else "")
            try:
                func(item)
            except ValueError as exc:
                raise self.fail(where, exc) from exc

    def _import_regions(self, ws: Workspace, items: list[dict[str, Any]]) -> None:
        def one(item: dict[str, Any]) -> None:
            svc._reject_unknown(item, ("code", "role", "name"), "region")
            svc.add_region.__wrapped__(self.session, ws, item.get("code"),
                                       role=item.get("role", "partner"), check=False)
        self._each("regions", items, one)
        self.session.flush()
        names = {i.get("code"): i.get("name") for i in items}
        for region in ws.regions:
            if names.get(region.code):
                region.name = names[region.code]

    def _import_tas(self, ws: Workspace, items: list[dict[str, Any]]) -> None:
        _refs(items, "tas")

        def one(item: dict[str, Any]) -> None:
            svc._reject_unknown(item, ("ref", "activity", "label", "mode", "status",
                                       "selected_at", "evidence_snapshot"), "TA")
            snapshot = item.get("evidence_snapshot") or {}
            if not isinstance(snapshot, dict):
                raise svc.StoreValidationError("evidence_snapshot must be an object")
            ta = svc.select_ta.__wrapped__(self.session, ws, item.get("activity", ""),
                                           label=item.get("label") or "",
                                           mode=item.get("mode"),
                                           status=item.get("status", "selected"))
            ta.evidence_snapshot = snapshot
            ta.selected_at = _timestamp(item.get("selected_at"), "selected_at") or utcnow()
            self.session.flush()
            self.ta_ids[item["ref"]] = ta.id
        self._each("tas", items, one)

    def _import_actors(self, ws: Workspace, items: list[dict[str, Any]]) -> None:
        _refs(items, "actors")
        domain = svc._domain_actors()
        existing: list[Any] = []
        records: list[tuple[Any, ActorRecord]] = []

        def one(item: dict[str, Any]) -> None:
            data = {k: v for k, v in item.items() if k not in ("ref", "created_at")}
            actor = dataclasses.replace(svc._as_domain_actor(data), id=None)
            valid = domain.validate_actor(actor, existing=existing)
            existing.append(valid)
            record = svc._store_actor(self.session, ws, valid)
            record.created_at = record.updated_at = (
                _timestamp(item.get("created_at"), "created_at") or utcnow())
            records.append((item["ref"], record))
        self._each("actors", items, one)
        self.session.flush()
        self.actor_ids = {ref: record.id for ref, record in records}

    def _import_actions(self, ws: Workspace, items: list[dict[str, Any]]) -> None:
        _refs(items, "actions")

        def one(item: dict[str, Any]) -> None:
            values = {k: v for k, v in item.items() if k not in ("ref", "created_at")}
            values["ta"] = self.lookup(self.ta_ids, values.get("ta"), "TA")
            values["owner"] = self.lookup(self.actor_ids, values.get("owner"), "actor")
            participants = values.get("participants") or []
            if not isinstance(participants, list):
                raise svc.StoreValidationError("participants must be a list of actor refs")
            values["participants"] = [self.lookup(self.actor_ids, p, "actor")
                                      for p in participants]
            record = svc.add_action.__wrapped__(self.session, ws, values)
            record.created_at = record.updated_at = (
                _timestamp(item.get("created_at"), "created_at") or utcnow())
        self._each("actions", items, one)
        self.session.flush()

    def _import_consortia(self, ws: Workspace, items: list[dict[str, Any]]) -> None:
        _refs(items, "consortia")

        def one(item: dict[str, Any]) -> None:
            svc._reject_unknown(item, ("ref", "ta", "name", "coverage", "parameters", "notes",
                                       "created_at", "members"), "consortium")
            members = item.get("members") or []
            if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
                raise svc.StoreValidationError("members must be a list of {actor, role}")
            ids = [self.lookup(self.actor_ids, m.get("actor"), "actor") for m in members]
            leads = [i for i, m in zip(ids, members, strict=True) if m.get("role") == "lead"]
            parameters = item.get("parameters") or {}
            if not isinstance(parameters, dict):
                raise svc.StoreValidationError("parameters must be an object")
            record = svc.record_consortium.__wrapped__(
                self.session, ws, self.lookup(self.ta_ids, item.get("ta"), "TA"), ids,
                name=item.get("name"), coverage=item.get("coverage"), notes=item.get("notes"),
                lead=leads[0] if leads else None)
            record.parameters = parameters
            record.created_at = _timestamp(item.get("created_at"), "created_at") or utcnow()
        self._each("consortia", items, one)

    def _import_funding_instruments(self, ws: Workspace, items: list[dict[str, Any]]) -> None:
        self._each("funding_instruments", items,
                   lambda item: svc.add_funding_instrument.__wrapped__(self.session, ws, item))

    def _import_good_practices(self, ws: Workspace, items: list[dict[str, Any]]) -> None:
        self._each("good_practices", items,
                   lambda item: svc.add_good_practice.__wrapped__(self.session, item,
                                                                  workspace=ws))

    def _import_monitoring_records(self, ws: Workspace, items: list[dict[str, Any]]) -> None:
        def one(item: dict[str, Any]) -> None:
            svc._reject_unknown(item, ("ta", "indicator_key", "kind", "year", "value", "unit",
                                       "source", "note", "created_at", "origin",
                                       "data_version"), "monitoring record")
            ta = self.lookup(self.ta_ids, item.get("ta"), "TA")
            if ta is None:
                raise svc.StoreValidationError("a monitoring record needs its TA")
            record = svc.record_monitoring.__wrapped__(
                self.session, ws, ta, item.get("indicator_key", ""), kind=item.get("kind"),
                year=item.get("year"), value=item.get("value"), unit=item.get("unit") or "",
                source=item.get("source") or "", note=item.get("note") or "", replace=False)
            record.created_at = _timestamp(item.get("created_at"), "created_at") or utcnow()
            record.origin = check_origin(item.get("origin"))
            record.data_version = item.get("data_version")
            self.session.flush()
        from .monitoring_services import check_origin

        self._each("monitoring_records", items, one)

    def _import_audit(self, ws: Workspace, items: list[dict[str, Any]]) -> None:
        rows = []
        for i, item in enumerate(items):
            try:
                rows.append({
                    "workspace_id": ws.id, "who": str(item.get("who") or "unknown")[:200],
                    "at": _timestamp(item.get("at"), "at") or utcnow(),
                    "action": str(item.get("action") or "")[:20],
                    "table_name": str(item.get("table_name") or "")[:80],
                    "object_id": str(item.get("object_id") or "")[:80],
                    "before": item.get("before"), "after": item.get("after"),
                    "context": f"[imported from {self.origin}; ids of the source store] "
                               f"{item.get('context') or ''}".strip()})
            except ValueError as exc:
                raise self.fail(f"audit_log[{i}]", exc) from exc
        if rows:
            self.session.flush()
            self.session.connection().execute(AuditLog.__table__.insert(), rows)


def import_workspace(session: Session, source: str | os.PathLike[str] | Mapping[str, Any], *,
                     slug: str | None = None, name: str | None = None,
                     on_conflict: Literal["rename", "error"] = "rename") -> Workspace:
    """Import a workspace from an export file (JSON or ZIP) or document, all or nothing.

    Parameters
    ----------
    session : an open session; the import runs in a savepoint of its transaction.
    source : path of a ``.json`` / ``.zip`` export, or the document itself.
    slug : the new workspace's slug (default: the exported one).
    name : the new workspace's name (default: the exported one).
    on_conflict : ``"rename"`` (default) gives the workspace a free slug (``slug-2`` ...) when
        the slug is taken; ``"error"`` refuses the import.

    Returns
    -------
    Workspace

    Raises
    ------
    ExchangeError
        Naming the file and the place in it (``actors[3] ('Acme'): unknown actor type``).
    ConflictError
        The slug is taken and ``on_conflict="error"``.
    """
    if on_conflict not in ("rename", "error"):
        raise ValueError(f"on_conflict must be 'rename' or 'error', got {on_conflict!r}")
    if isinstance(source, Mapping):
        origin = "<document>"
        doc = dict(source)
        check_header(doc, origin)
    else:
        origin = str(source)
        doc = read_document(source)
    previous = session.info.get("context")
    session.info["context"] = f"import {origin}"
    try:
        with session.begin_nested():
            return _Importer(session, doc, origin).run(slug, on_conflict, name)
    except IntegrityError as exc:
        raise ExchangeError(f"{origin}: the database refused the import: "
                            f"{svc._integrity_message(exc)}") from exc
    finally:
        if previous is None:
            session.info.pop("context", None)
        else:
            session.info["context"] = previous

