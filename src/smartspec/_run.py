"""``smartspec run``: the main job on the embedded data (what ``make run`` runs).

For the default Alpine Space region it writes the evidence profile and the candidate
transformative activities (offline HTML reports with CSV/Excel tables) into ``--out``, prints
the top candidates with a one-line explanation each, and creates (or completes) the demo
workspace in the store: selected TAs, fictional demo actors, a consortium and a draft strategy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: Oberösterreich (Upper Austria): an Alpine Space manufacturing region with nearly complete
#: SBS data and a long employment history.
DEFAULT_REGION = "AT31"


def register(app: typer.Typer) -> None:
    """Add ``run`` to the smartspec CLI."""

    @app.command("run")
    def run_command(
        region: str = typer.Option(DEFAULT_REGION, "--region", help="NUTS 2021 level-2 code."),
        out: Annotated[Path, typer.Option("--out", "-o", file_okay=False,
                                          help="Folder for the reports.")] = Path("smartspec-out"),
        top: int = typer.Option(10, "--top", min=1, help="Candidates listed."),
        db: str | None = typer.Option(None, "--db", help="Database URL or SQLite path "
                                      "(default: SMARTSPEC_DATABASE_URL or ./smartspec.sqlite3)."),
    ) -> None:
        """Profile, candidates and the demo workspace for the default Alpine region."""
        from rich.console import Console
        from rich.markup import escape

        from smartspec.discovery._cli import _why, embedded_candidates
        from smartspec.discovery.embedded import embedded_profile, load_inputs
        from smartspec.reports import write_candidates_report, write_profile_report
        from smartspec.store import db as store_db
        from smartspec.store.demo import seed_demo

        console = Console()
        region = region.upper()
        with console.status("loading the embedded data and profiling the region"):
            inputs = load_inputs()
            try:
                prof = embedded_profile(region)
            except ValueError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(code=1) from exc
        with console.status("scoring candidate transformative activities"):
            cands = embedded_candidates(region, top_k=top)
        with console.status("writing the reports"):
            paths = {**write_profile_report(prof, out, panel=inputs.panel),
                     **{f"candidates_{k}": v for k, v in
                        write_candidates_report(cands, prof, out, top=top).items()}}

        console.rule(f"[bold]{escape(prof.region)} {escape(prof.name)}[/bold] — smart "
                     f"specialisation evidence, {prof.year}")
        spec = prof.specialisations.head(5)
        console.print("Top specialisations (location quotient vs all regions): " + ", ".join(
            f"{escape(str(c))} {escape(str(r['label'])[:40])} ({r['rca']:.2f})"
            for c, r in spec.iterrows()), soft_wrap=True)
        console.print(f"Economic complexity (ECI) {prof.eci:+.2f}, rank {prof.eci_rank} of "
                      f"{prof.n_regions} regions.")
        console.print(f"\n[bold]Top {top} candidate transformative activities[/bold] "
                      "(score 0-1, Foray mode, P = robustness under perturbed weights)")
        for code, row in cands.sort_values("rank").head(top).iterrows():
            console.print(f"{int(row['rank']):>3}. [bold]{escape(str(code))}[/bold] "
                          f"{escape(str(row['label'])[:50])} — {row['score']:.2f}, "
                          f"{escape(str(row['mode']))}, P {row['p_top_k']:.2f}", soft_wrap=True)
            console.print(f"     [dim]{escape(_why(row, 160))}[/dim]", soft_wrap=True)

        url = store_db.database_url(db)
        with console.status("creating the demo workspace"):
            demo = seed_demo(url, region=region)
        console.print(
            f"\n[bold]Demo workspace[/bold] '{escape(demo.slug)}' "
            f"({'created' if demo.created else 'already there, completed'}) in "
            f"{escape(store_db.describe_url(url) if hasattr(store_db, 'describe_url') else url)}: "
            f"TAs {escape(', '.join(demo.tas))}; {demo.actors} fictional demo actors; "
            f"{demo.consortia} consortia; {demo.actions} draft actions.")
        # element 5: the computed verdict of the demo TAs (smartspec monitor writes the report)
        from smartspec.store import monitoring_services as monitoring

        with store_db.session_scope(url, context="run: monitoring check") as session:
            verdicts = monitoring.check_workspace(session, demo.slug)
        for code, verdict in verdicts.items():
            first = verdict.problems[0].message if verdict.problems else "no problem found"
            console.print(f"Monitoring {escape(code)}: [bold]{verdict.status}[/bold] — "
                          f"{escape(first)}", soft_wrap=True)
        console.print(f"[dim]Evaluation report: smartspec monitor {escape(demo.slug)}[/dim]")
        console.print("Reports: " + ", ".join(escape(str(p)) for k, p in paths.items()
                                              if str(p).endswith(".html")))
        console.print(f"[dim]{escape(prof.attribution)}. Maps: © EuroGeographics for the "
                      "administrative boundaries.[/dim]")
