"""Alembic migrations: the head schema equals the models, and upgrades keep existing data."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, inspect, select

from smartspec.store import db, exchange
from smartspec.store import services as svc
from smartspec.store.models import Base

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


def test_revisions_are_linear_with_two_or_more_steps():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    revisions = [r.revision for r in script.walk_revisions()]
    assert revisions[-1] == "0001" and len(revisions) >= 2
    assert db.head_revision() == revisions[0]


def test_head_schema_matches_the_models(empty_url):
    db.upgrade(empty_url)
    assert db.current_revision(empty_url) == db.head_revision()
    with db.get_engine(empty_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    db.upgrade(empty_url)  # idempotent
    assert db.current_revision(empty_url) == db.head_revision()


def _insert(connection, table_name: str, /, **values) -> None:
    table = Table(table_name, MetaData(), autoload_with=connection)
    connection.execute(table.insert().values(**values))


def _fill_first_revision(url: str) -> None:
    """Rows written the way a smartspec of revision 0001 wrote them (no ORM of today)."""
    with db.get_engine(url).begin() as c:
        _insert(c, "workspaces", id=1, name="Upper Austria", slug="upper-austria",
                description="legacy", data_version="v1", created_at=NOW, updated_at=NOW)
        _insert(c, "workspace_regions", id=1, workspace_id=1, code="AT31", role="home",
                name="Oberösterreich")
        _insert(c, "selected_tas", id=1, workspace_id=1, activity="C28", label="Machinery",
                mode="modernisation", status="selected", selected_at=NOW,
                evidence_snapshot={"candidate": {"score": 0.71, "partners": ["DE21"]}})
        for i, (name, kind) in enumerate([("Acme Maschinen", "firm"), ("JKU Linz", "university")],
                                         start=1):
            _insert(c, "actors", id=i, workspace_id=1, name=name, actor_type=kind, region="AT31",
                    activities=["C28"], skills=[], size=100 * i, contact_role="innovation lead",
                    fictional=True, created_at=NOW, updated_at=NOW)
        _insert(c, "actions", id=1, workspace_id=1, ta_id=1, owner_id=1, position=0,
                title="Form the consortium", action_type="consortium_creation",
                description="", status="in_progress", start=dt.date(2024, 1, 1),
                end=dt.date(2024, 12, 31), deadline=None, budget=50000.0, committed=20000.0,
                spent=5000.0, regions=["AT31"], notes="n", attachments=[], rationale="why",
                milestones=[{"title": "kick-off", "due": "2024-02-01"}], indicators=["members"],
                created_at=NOW, updated_at=NOW)
        _insert(c, "action_participants", action_id=1, actor_id=2, workspace_id=1)
        _insert(c, "consortia", id=1, workspace_id=1, ta_id=1, name="C28 core", coverage=0.8,
                parameters={"size": [2, 5]}, created_at=NOW)
        _insert(c, "consortium_members", consortium_id=1, actor_id=1, workspace_id=1,
                role="lead")
        _insert(c, "consortium_members", consortium_id=1, actor_id=2, workspace_id=1,
                role="member")
        _insert(c, "monitoring_records", id=1, workspace_id=1, ta_id=1, indicator_key="rca",
                kind="context", year=2018, value=1.7, unit="ratio", source="Eurostat", note="",
                created_at=NOW)
        _insert(c, "funding_instruments", id=1, workspace_id=1, key="regional-scheme",
                name="Regional scheme", programme="Land OÖ", scope="regional",
                eligible_actor_types=["firm"], geographic_scope=["AT31"], action_types=[],
                notes="", user_defined=True)
        _insert(c, "good_practices", id=1, workspace_id=None, key="gp-one", title="One",
                summary="", action_types=[], cluster_maturity=[], ta_modes=[], region_types=[],
                source="", tags=[])
        _insert(c, "audit_log", id=1, workspace_id=1, who="legacy", at=NOW, action="create",
                table_name="workspaces", object_id="1", before=None, after={"id": 1},
                context="")
        if c.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("workspaces", "workspace_regions", "selected_tas", "actors",
                          "actions", "consortia", "monitoring_records", "funding_instruments",
                          "good_practices", "audit_log"):
                c.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))")


def test_upgrade_from_the_first_revision_keeps_every_row(empty_url):
    db.upgrade(empty_url, "0001")
    assert db.current_revision(empty_url) == "0001"
    assert "technologies" not in {c["name"] for c in
                                  inspect(db.get_engine(empty_url)).get_columns("actors")}
    _fill_first_revision(empty_url)
    engine = db.get_engine(empty_url)
    with engine.connect() as c:
        before = {t: c.execute(select(Table(t, MetaData(), autoload_with=c))).all()
                  for t in inspect(c).get_table_names() if t != "alembic_version"}
    engine.dispose()

    db.upgrade(empty_url)
    assert db.current_revision(empty_url) == db.head_revision()
    engine = db.get_engine(empty_url)
    with engine.connect() as c:
        for table, rows in before.items():
            old_columns = len(rows[0]) if rows else 0
            reflected = Table(table, MetaData(), autoload_with=c)
            after = c.execute(select(*list(reflected.columns)[:old_columns])).all() \
                if old_columns else []
            assert [tuple(r) for r in after] == [tuple(r) for r in rows], table
        index_names = {i["name"] for i in inspect(c).get_indexes("audit_log")}
        assert {"ix_audit_log_workspace_at", "ix_audit_log_table_object"} <= index_names

    # the migrated rows work through the ORM and the services of today
    with db.session_scope(empty_url, user="tester") as session:
        actors = svc.list_actors(session, "upper-austria")
        assert [a.technologies for a in actors] == [[], []]
        assert [a.name for a in actors] == ["Acme Maschinen", "JKU Linz"]
        consortium = svc.list_consortia(session, "upper-austria")[0]
        assert consortium.notes == "" and [m.role for m in consortium.members] == ["lead",
                                                                                   "member"]
        action = svc.list_actions(session, "upper-austria", ta="C28")[0]
        assert action.participant_ids == [2] and action.owner_id == 1
        assert action.start == dt.date(2024, 1, 1) and action.budget == 50000.0
        svc.update_actor(session, "upper-austria", 1, technologies=["laser welding"])
        svc.update_action(session, "upper-austria", 1, status="done", end="2024-11-30")
        ta = svc.get_ta(session, "upper-austria", "C28")
        assert ta.evidence_snapshot["candidate"]["partners"] == ["DE21"]
        assert ta.selected_at == NOW
        doc = exchange.workspace_document(session, "upper-austria")
    assert doc["actors"][0]["technologies"] == ["laser welding"]
    assert doc["actions"][0]["status"] == "done"


def test_downgrade_then_upgrade_keeps_the_data(empty_url):
    db.upgrade(empty_url, "0001")
    _fill_first_revision(empty_url)
    db.upgrade(empty_url)
    db.downgrade(empty_url, "0001")
    assert db.current_revision(empty_url) == "0001"
    db.upgrade(empty_url)
    with db.session_scope(empty_url) as session:
        assert len(svc.list_actors(session, "upper-austria")) == 2
        assert len(svc.list_actions(session, "upper-austria")) == 1
        assert svc.audit_entries(session, "upper-austria", limit=None)[-1].who == "legacy"


def test_a_failing_migration_leaves_the_database_untouched(empty_url):
    db.upgrade(empty_url, "0001")
    _fill_first_revision(empty_url)
    # an index name that 0002 will want: its last step fails after the ALTERs have run
    with db.get_engine(empty_url).begin() as c:
        c.exec_driver_sql("CREATE INDEX ix_audit_log_table_object ON actors (name)")
    with pytest.raises(Exception, match="ix_audit_log_table_object"):
        db.upgrade(empty_url)
    assert db.current_revision(empty_url) == "0001"
    engine = db.get_engine(empty_url)
    assert "technologies" not in {c["name"] for c in inspect(engine).get_columns("actors")}
    assert "notes" not in {c["name"] for c in inspect(engine).get_columns("consortia")}
    with engine.begin() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM actors").scalar() == 2
        c.exec_driver_sql("DROP INDEX ix_audit_log_table_object")
    engine.dispose()
    db.upgrade(empty_url)
    assert db.current_revision(empty_url) == db.head_revision()
