"""CLI commands of element 5 (monitoring and evaluation).

``smartspec monitor REGION|WORKSPACE [--out DIR] [--pdf] [--as-of YEAR]``
    check every TA and write the evaluation report (HTML, CSV, Excel; PDF with ``--pdf``).
``smartspec monitor-observations WORKSPACE FILE.csv [--ta CODE]``
    record indicator observations from a CSV file (all or nothing).
``smartspec monitor-data WORKSPACE [--years 2016-2017]``
    import years of the shipped regional employment data and recompute the context
    indicators.
``smartspec self-assessment WORKSPACE FILE.csv --date YYYY-MM-DD [--label TEXT]``
    store a RIS3 self-assessment workshop's scores.

Every command takes ``--db`` (default ``$SMARTSPEC_DATABASE_URL``, then
``./smartspec.sqlite3``). Exit status 1 with a message on stderr when the input is refused (the
store is left unchanged), 2 for malformed options.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

import typer

_NUTS = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")
DbOption = Annotated[str | None, typer.Option(
    "--db", help="Database URL or SQLite file (default: $SMARTSPEC_DATABASE_URL, then "
                 "./smartspec.sqlite3).", show_default=False)]


def _fail(message: str, code: int = 1) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, soft_wrap=True).print(f"[bold red]Error:[/bold red] {escape(message)}")
    return typer.Exit(code)


def resolve_workspace(session: Any, target: str) -> Any:
    """The workspace named by ``target``: a slug, an id, or a NUTS code of its home region.

    Raises
    ------
    LookupError
        Nothing matches, or a region has several workspaces (the message lists them).
    """
    from smartspec.store import services as svc

    text = str(target).strip()
    try:
        return svc.get_workspace(session, int(text) if text.isdigit() else text)
    except svc.NotFoundError:
        pass
    code = text.upper()
    if _NUTS.match(code):
        found = [w for w in svc.list_workspaces(session) if w.home_region == code]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise LookupError(f"region {code} has several workspaces: "
                              f"{', '.join(w.slug for w in found)}; name one")
        raise LookupError(f"no workspace for region {code}: run `smartspec run --region {code}` "
                          "for the demo workspace, or create one with `smartspec workspace`")
    slugs = [w.slug for w in svc.list_workspaces(session)]
    raise LookupError(f"no workspace {text!r} (workspaces: {', '.join(slugs) or 'none'})")


def _years(text: str | None) -> list[int] | None:
    if text is None:
        return None
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d{4})(?:\s*-\s*(\d{4}))?", part)
        if not m:
            raise typer.BadParameter(f"{part!r} is not a year or a range like 2009-2017")
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if b < a:
            raise typer.BadParameter(f"{part!r}: the range is reversed")
        out.extend(range(a, b + 1))
    return sorted(set(out))


def register(app: typer.Typer) -> None:
    """Add ``monitor``, ``monitor-observations``, ``monitor-data`` and ``self-assessment``."""

    @app.command("monitor")
    def monitor_command(
        target: str = typer.Argument(..., help="Workspace slug or id, or the NUTS code of its "
                                               "home region (e.g. AT31)."),
        out: Annotated[Path, typer.Option("--out", "-o", file_okay=False,
                                          help="Output folder.")] = Path("smartspec-out"),
        pdf: bool = typer.Option(False, "--pdf", help="Also print the report to PDF (needs "
                                 "Chromium)."),
        as_of: int | None = typer.Option(None, "--as-of", min=1950, max=2100,
                                         help="Year of the check (default: this year)."),
        snapshot: bool = typer.Option(True, "--snapshot/--no-snapshot",
                                      help="Remember this report for the next one's "
                                           "'change since the last report'."),
        db: DbOption = None,
    ) -> None:
        """Check every TA (traffic light and reasons) and write the evaluation report."""
        from rich.console import Console
        from rich.markup import escape
        from sqlalchemy.exc import SQLAlchemyError

        from smartspec.reports.monitoring_report import write_monitoring_report
        from smartspec.reports.pdf import PdfUnavailableError
        from smartspec.store import db as store_db

        console = Console()
        try:
            url = store_db.database_url(db)
            store_db.upgrade(url)
        except (ValueError, SQLAlchemyError, OSError) as exc:
            raise _fail(f"cannot open the database: {exc}") from exc
        paths: dict[str, Path] = {}
        try:
            with store_db.session_scope(url, context="monitor") as session:
                ws = resolve_workspace(session, target)
                with console.status("checking the TAs and writing the report"):
                    try:
                        paths = write_monitoring_report(session, ws, out, as_of=as_of,
                                                        pdf=pdf, snapshot=snapshot)
                    except (PdfUnavailableError, RuntimeError) as exc:
                        if not pdf:
                            raise
                        raise _fail(f"PDF not written: {exc}") from exc
                from smartspec.store import monitoring_services as ms

                snap = ms.last_report_snapshot(session, ws) if snapshot else None
                summary = snap.summary if snap is not None else None
                slug = ws.slug
        except LookupError as exc:
            raise _fail(str(exc)) from exc
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        console.rule(f"[bold]{escape(slug)}[/bold] — monitoring and evaluation")
        if summary:
            for code, item in summary["tas"].items():
                colour = {"green": "green", "amber": "yellow", "red": "red"}[item["status"]]
                first = item["problems"][0]["message"] if item["problems"] else "no problem"
                console.print(f"[{colour}]●[/{colour}] [bold]{escape(code)}[/bold] "
                              f"{item['status']}: {escape(first)}", soft_wrap=True)
        for key, path in paths.items():
            console.print(f"  {escape(key):<22} {escape(str(path))}", soft_wrap=True)

    @app.command("monitor-observations")
    def observations_command(
        workspace: Annotated[str, typer.Argument(
            help="Workspace slug or id (or home region).")],
        file: Annotated[Path, typer.Argument(
            exists=True, dir_okay=False,
            help="CSV: indicator, year, value[, unit, note, source, ta].")],
        ta: str | None = typer.Option(None, "--ta", help="The TA (activity code) when the "
                                      "file has no 'ta' column."),
        db: DbOption = None,
    ) -> None:
        """Record indicator observations from a CSV file (all rows or none)."""
        from smartspec.store import db as store_db
        from smartspec.store import monitoring_services as ms

        url = store_db.database_url(db)
        store_db.upgrade(url)
        try:
            with store_db.session_scope(url, context=f"observations {file.name}") as session:
                ws = resolve_workspace(session, workspace)
                result = ms.import_observations_csv(session, ws, file, ta=ta,
                                                    origin_name=str(file))
        except (LookupError, ValueError) as exc:
            raise _fail(str(exc)) from exc
        typer.echo(f"{result.created} observations created, {result.updated} updated, "
                   f"{result.unchanged} unchanged.")

    @app.command("monitor-data")
    def data_command(
        workspace: str = typer.Argument(..., help="Workspace slug or id (or home region)."),
        years: str | None = typer.Option(None, "--years", help="Years, e.g. 2009-2017 or "
                                         "2016,2017 (default: all well-covered years)."),
        db: DbOption = None,
    ) -> None:
        """Import years of the shipped regional employment data (NUTS 2 x A*10 and section C)
        and recompute the context indicators (idempotent)."""
        from smartspec import datasets
        from smartspec.store import db as store_db
        from smartspec.store import monitoring_services as ms

        wanted = _years(years)
        panel = datasets.regional_employment(level=2, activities=(*datasets.REGIONAL_A10, "C"))
        if wanted is None:
            counts = panel.frame.groupby("year")["region"].nunique()
            wanted = [int(y) for y in counts.index if counts[y] >= 0.8 * counts.max()]
        missing = sorted(set(wanted) - set(panel.years))
        if missing:
            raise _fail(f"years {missing} are not in the data ({panel.years[0]}-"
                        f"{panel.years[-1]})")
        url = store_db.database_url(db)
        store_db.upgrade(url)
        try:
            with store_db.session_scope(url, context="monitor-data") as session:
                ws = resolve_workspace(session, workspace)
                result = ms.import_panel(session, ws, panel, years=wanted)
        except (LookupError, ValueError) as exc:
            raise _fail(str(exc)) from exc
        status = {s: sum(1 for r in result if r.status == s)
                  for s in ("created", "updated", "unchanged")}
        changes = max((r.context_changes for r in result), default=0)
        typer.echo(f"{len(result)} data years: {status['created']} new, {status['updated']} "
                   f"updated, {status['unchanged']} unchanged; {changes} context observations "
                   "written or removed.")

    @app.command("self-assessment")
    def assessment_command(
        workspace: Annotated[str, typer.Argument(
            help="Workspace slug or id (or home region).")],
        file: Annotated[Path, typer.Argument(
            exists=True, dir_okay=False,
            help="CSV of scores: participant, factor, score[, comment] (or one column per "
                 "factor).")],
        date: str = typer.Option(dt.date.today().isoformat(), "--date",
                                 help="Date of the workshop (YYYY-MM-DD)."),
        label: str = typer.Option("", "--label", help="Label of the workshop."),
        replace: bool = typer.Option(False, "--replace", help="Overwrite the assessment of "
                                     "that date and label."),
        db: DbOption = None,
    ) -> None:
        """Store a RIS3 self-assessment (six steps, critical factors scored 0-5)."""
        from smartspec.monitoring.assessment import aggregate_scores, read_scores_csv
        from smartspec.store import db as store_db
        from smartspec.store import monitoring_services as ms

        try:
            scores = read_scores_csv(file)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        url = store_db.database_url(db)
        store_db.upgrade(url)
        try:
            with store_db.session_scope(url, context=f"self-assessment {file.name}") as session:
                ws = resolve_workspace(session, workspace)
                ms.record_self_assessment(session, ws, scores, assessed_on=date, label=label,
                                          replace=replace)
        except (LookupError, ValueError) as exc:
            raise _fail(str(exc)) from exc
        _, steps = aggregate_scores(scores)
        typer.echo(f"Self-assessment of {date} stored ({scores['participant'].nunique()} "
                   "participants).")
        for row in steps.itertuples():
            mean = "n/a" if row.mean != row.mean else f"{row.mean:.2f}"
            typer.echo(f"  step {row.step} {row.title}: {mean}")
