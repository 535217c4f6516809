"""Command line of the workspace store: ``workspace``, ``actors``, ``strategy``, ``actions``.

Every command takes ``--db`` (a SQLAlchemy URL or a SQLite file path; default
``$SMARTSPEC_DATABASE_URL``, then ``./smartspec.sqlite3``), creates or migrates the database,
and runs its changes in one transaction: bad input is refused with a message on stderr (exit
status 1; 2 for malformed options) and leaves the store unchanged. ``--user`` names who makes the
changes in the audit log (default ``$SMARTSPEC_USER``, then the login name).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

DbOption = Annotated[str | None, typer.Option(
    "--db", help="Database URL or SQLite file (default: $SMARTSPEC_DATABASE_URL, then "
                 "./smartspec.sqlite3).", show_default=False)]
UserOption = Annotated[str | None, typer.Option(
    "--user", help="Who makes the changes, for the audit log (default: $SMARTSPEC_USER, then "
                   "the login name).", show_default=False)]


def _user(user: str | None) -> str:
    if user:
        return user
    env = os.environ.get("SMARTSPEC_USER")
    if env:
        return env
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # pragma: no cover - no login name in containers
        return "cli"


def _error(message: str, code: int = 1) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]Error:[/bold red] {escape(message)}")
    return typer.Exit(code)


@contextmanager
def _store(db_url: str | None, user: str | None, context: str) -> Iterator[Any]:
    """Migrate the database and open one transaction; turn refusals into exit status 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from smartspec.store import db

    try:
        url = db.database_url(db_url)
        db.upgrade(url)
    except (ValueError, SQLAlchemyError, OSError) as exc:
        raise _error(f"cannot open the database {db_url or ''}: {exc}".replace("  ", " ")) \
            from exc
    try:
        with db.session_scope(url, user=_user(user), context=context) as session:
            yield session
    except typer.Exit:
        raise
    except (ValueError, LookupError, FileNotFoundError) as exc:
        raise _error(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise _error(f"the database refused the change: {exc}") from exc


def _console() -> Any:
    from rich.console import Console

    return Console()


def register(app: typer.Typer) -> None:
    """Add the ``workspace``, ``actors``, ``actions`` groups and the ``strategy`` command."""
    workspace_app = typer.Typer(help="Workspaces: one region's S3 process each.",
                                no_args_is_help=True)
    actors_app = typer.Typer(help="Regional actors of a workspace.", no_args_is_help=True)
    actions_app = typer.Typer(help="Actions of a workspace's strategies.", no_args_is_help=True)
    app.add_typer(workspace_app, name="workspace")
    app.add_typer(actors_app, name="actors")
    app.add_typer(actions_app, name="actions")

    # ------------------------------------------------------------------------- workspace

    @workspace_app.command("init")
    def workspace_init(
        name: Annotated[str, typer.Argument(help="Display name, e.g. 'Oberösterreich S3'.")],
        region: Annotated[str, typer.Option(help="NUTS code of the home region.")] = "AT31",
        partner: Annotated[list[str] | None, typer.Option(
            help="NUTS code of a partner region (repeatable).")] = None,
        slug: Annotated[str | None, typer.Option(help="URL name (default: from NAME).")] = None,
        description: Annotated[str, typer.Option(help="Free text.")] = "",
        demo: Annotated[bool, typer.Option(
            "--demo", help="Fill it with the demo: TAs chosen by discovery on the shipped data, "
                           "the fictional demo actors, a consortium and a draft strategy.")
        ] = False,
        db_url: DbOption = None,
        user: UserOption = None,
    ) -> None:
        """Create a workspace for a region's S3 process."""
        from smartspec.store import services as svc

        with _store(db_url, user, f"workspace init {name}") as session:
            ws = svc.create_workspace(session, name, region=region, slug=slug,
                                      description=description, partners=partner or ())
            summary = ""
            if demo:
                from smartspec.store.demo import seed_demo

                result = seed_demo(session, region=ws.home_region or region, slug=ws.slug)
                summary = (f"; demo: TAs {', '.join(result.tas)}, {result.actors} actors, "
                           f"{result.actions} actions, {result.consortia} consortia")
            slug_made = ws.slug
        _console().print(f"Created workspace [bold]{slug_made}[/bold] ({region}){summary}")

    @workspace_app.command("list")
    def workspace_list(db_url: DbOption = None) -> None:
        """List the workspaces with their regions and sizes."""
        from rich.table import Table
        from sqlalchemy import func, select

        from smartspec.store import services as svc
        from smartspec.store.models import ActionRecord, ActorRecord, SelectedTA

        table = Table("slug", "name", "regions", "TAs", "actors", "actions", "created")
        with _store(db_url, None, "workspace list") as session:
            def count(model: Any, ws_id: int) -> int:
                return session.scalar(select(func.count()).select_from(model)
                                      .where(model.workspace_id == ws_id)) or 0

            workspaces = svc.list_workspaces(session)
            for ws in workspaces:
                regions = ", ".join(r.code + ("*" if r.role == "home" else "")
                                    for r in ws.regions)
                table.add_row(ws.slug, ws.name, regions, str(count(SelectedTA, ws.id)),
                              str(count(ActorRecord, ws.id)), str(count(ActionRecord, ws.id)),
                              ws.created_at.strftime("%Y-%m-%d"))
        if workspaces:
            _console().print(table)
        else:
            _console().print("No workspaces yet: create one with `smartspec workspace init`.")

    @workspace_app.command("export")
    def workspace_export(
        slug: Annotated[str, typer.Argument(help="Workspace slug.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Output .json or .zip file.")],
        audit: Annotated[bool, typer.Option("--audit", help="Include the audit log.")] = False,
        db_url: DbOption = None,
    ) -> None:
        """Export a whole workspace as one JSON file or a ZIP archive."""
        from smartspec.store import exchange

        if out.suffix.lower() not in (".json", ".zip"):
            raise _error(f"--out must end in .json or .zip, got {out.name!r}", 2)
        with _store(db_url, None, "workspace export") as session:
            path = exchange.export_workspace(session, slug, out, include_audit=audit)
        _console().print(f"Exported [bold]{slug}[/bold] to {path}")

    @workspace_app.command("import")
    def workspace_import(
        file: Annotated[Path, typer.Argument(help="A .json or .zip export.")],
        slug: Annotated[str | None, typer.Option(help="Slug for the imported workspace.")
                        ] = None,
        on_conflict: Annotated[str, typer.Option(
            help="When the slug is taken: 'rename' (new slug) or 'error'.")] = "rename",
        db_url: DbOption = None,
        user: UserOption = None,
    ) -> None:
        """Import a workspace export (all or nothing)."""
        from smartspec.store import exchange

        if on_conflict not in ("rename", "error"):
            raise _error("--on-conflict must be 'rename' or 'error'", 2)
        with _store(db_url, user, f"workspace import {file}") as session:
            ws = exchange.import_workspace(session, file, slug=slug,
                                           on_conflict=on_conflict)  # type: ignore[arg-type]
            made = ws.slug
        _console().print(f"Imported {file} as workspace [bold]{made}[/bold]")

    # ---------------------------------------------------------------------------- actors

    @actors_app.command("import")
    def actors_import(
        slug: Annotated[str, typer.Argument(help="Workspace slug.")],
        file: Annotated[Path, typer.Argument(help="CSV or Excel file, one actor per row.")],
        db_url: DbOption = None,
        user: UserOption = None,
    ) -> None:
        """Import actors from CSV/Excel: every row is validated, all are stored or none."""
        from smartspec.store import services as svc

        with _store(db_url, user, f"actors import {file.name}") as session:
            records = svc.import_actors(session, slug, file)
            n = len(records)
        _console().print(f"Imported {n} actor{'s' if n != 1 else ''} into [bold]{slug}[/bold]")

    # --------------------------------------------------------------------------- strategy

    @app.command("strategy")
    def strategy_command(
        slug: Annotated[str, typer.Argument(help="Workspace slug.")],
        ta: Annotated[str, typer.Argument(help="Activity code of the TA, e.g. C28.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("."),
        pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF (Chromium).")
                       ] = False,
        redraft: Annotated[bool, typer.Option(
            "--redraft", help="Replace the TA's actions by a new draft (only while every one "
                              "is still planned).")] = False,
        db_url: DbOption = None,
        user: UserOption = None,
    ) -> None:
        """Draft (once) and write the development strategy of a TA as HTML (and PDF).

        The TA is selected first if needed, with the discovery evidence as its snapshot. The
        draft's actions are stored in the workspace, where they can be edited; later runs
        write the stored, edited strategy.
        """
        from smartspec.store import planning
        from smartspec.store.strategy_doc import write_strategy

        with _store(db_url, user, f"strategy {ta}") as session:
            record = planning.ensure_ta(session, slug, ta)
            drafted = planning.draft_and_store(session, slug, record, replace=redraft)
            html = write_strategy(session, slug, record, out)
        _console().print(f"{'Drafted and wrote' if drafted else 'Wrote'} the strategy for "
                         f"{ta}: {html}")
        if pdf:
            from smartspec.reports.pdf import PdfUnavailableError, html_to_pdf

            try:
                path = html_to_pdf(html, html.with_suffix(".pdf"))
            except (PdfUnavailableError, RuntimeError) as exc:
                raise _error(f"PDF not written ({exc}); the HTML is at {html}") from exc
            _console().print(f"PDF: {path}")

    # ---------------------------------------------------------------------------- actions

    @actions_app.command("list")
    def actions_list(
        slug: Annotated[str, typer.Argument(help="Workspace slug.")],
        ta: Annotated[str | None, typer.Option(help="Only this TA (activity code).")] = None,
        status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
        db_url: DbOption = None,
    ) -> None:
        """List the actions of a workspace, in strategy order."""
        from rich.table import Table

        from smartspec.store import services as svc

        table = Table("id", "TA", "#", "title", "type", "status", "owner", "start", "end",
                      "deadline", "budget", "committed", "spent")
        with _store(db_url, None, "actions list") as session:
            actions = svc.list_actions(session, slug, ta=ta, status=status)
            for a in actions:
                table.add_row(str(a.id), a.ta.activity if a.ta else "-", str(a.position + 1),
                              a.title, a.action_type, a.status,
                              a.owner.name if a.owner else "-",
                              *(str(d) if d else "-" for d in (a.start, a.end, a.deadline)),
                              *(f"{v:,.0f}" for v in (a.budget, a.committed, a.spent)))
        if actions:
            _console().print(table)
        else:
            _console().print("No actions.")

    @actions_app.command("update")
    def actions_update(
        slug: Annotated[str, typer.Argument(help="Workspace slug.")],
        action_id: Annotated[int, typer.Argument(help="Action id (see `actions list`).")],
        status: Annotated[str | None, typer.Option(help="New status (workflow-checked).")
                          ] = None,
        title: Annotated[str | None, typer.Option(help="New title.")] = None,
        owner: Annotated[int | None, typer.Option(help="Owner actor id.")] = None,
        participants: Annotated[str | None, typer.Option(
            help="Participant actor ids, comma-separated (replaces the list).")] = None,
        start: Annotated[str | None, typer.Option(help="Start date YYYY-MM-DD.")] = None,
        end: Annotated[str | None, typer.Option(help="End date YYYY-MM-DD.")] = None,
        deadline: Annotated[str | None, typer.Option(help="Deadline YYYY-MM-DD.")] = None,
        budget: Annotated[float | None, typer.Option(help="Budget (EUR).")] = None,
        committed: Annotated[float | None, typer.Option(help="Committed (EUR).")] = None,
        spent: Annotated[float | None, typer.Option(help="Spent (EUR).")] = None,
        notes: Annotated[str | None, typer.Option(help="Notes (replace).")] = None,
        db_url: DbOption = None,
        user: UserOption = None,
    ) -> None:
        """Change an action: status (planned → in_progress → done/cancelled/on_hold), owner,
        dates, money, notes."""
        from smartspec.implementation.tracking import validate_action
        from smartspec.store import services as svc

        changes: dict[str, Any] = {k: v for k, v in dict(
            status=status, title=title, owner=owner, start=start, end=end, deadline=deadline,
            budget=budget, committed=committed, spent=spent, notes=notes).items()
            if v is not None}
        if participants is not None:
            try:
                changes["participants"] = [int(p) for p in participants.split(",") if p.strip()]
            except ValueError:
                raise _error("--participants must be actor ids separated by commas",
                             2) from None
        if not changes:
            raise _error("nothing to change: give at least one option (see --help)", 2)
        with _store(db_url, user, f"actions update {action_id}") as session:
            record = svc.update_action(session, slug, action_id, **changes)
            warnings = validate_action(svc.action_to_domain(record))
            line = (f"Action {record.id} ({record.title}): status {record.status}, "
                    f"{record.start or '-'} → {record.end or '-'}")
        console = _console()
        console.print(line)
        for warning in warnings:
            console.print(f"[yellow]Warning:[/yellow] {warning}")
