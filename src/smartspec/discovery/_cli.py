"""CLI commands of element 2: ``smartspec profile REGION`` and ``smartspec candidates REGION``.

Both run on the data shipped with smartspec (:mod:`smartspec.discovery.embedded`), write a
self-contained HTML report with CSV and Excel tables into ``--out`` (default
``./smartspec-out/``), optionally a PDF (``--pdf``, needs Chromium), and print a short summary.

Exit codes: 0 success; 1 unknown region, or a PDF was requested and cannot be printed (the
HTML and tables are still written); 2 invalid options (e.g. ``--weights``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

#: Default output folder of the reports.
DEFAULT_OUT = Path("smartspec-out")
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)])\.\s+(?=[A-Z])")
_WEIGHT_ITEM = re.compile(r"^\s*([A-Za-z_]+)\s*=\s*(\S+)\s*$")


def parse_weights(text: str | None) -> dict[str, float] | None:
    """Parse ``"feasibility=0.3,value=0.2"`` into a weight mapping, checked against the scores.

    Keys are sub-scores of :data:`smartspec.discovery.scoring.SUBSCORES`; a key left out keeps
    its default weight. Raises ``ValueError`` with a message naming the bad item.
    """
    if text is None or not text.strip():
        return None
    from smartspec.discovery.scoring import DEFAULT_WEIGHTS, SUBSCORES, validate_weights

    out: dict[str, float] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        m = _WEIGHT_ITEM.match(item)
        if not m:
            raise ValueError(f"{item.strip()!r} is not of the form name=number "
                             f"(e.g. feasibility=0.3,value=0.2)")
        name, raw = m.group(1).lower(), m.group(2)
        if name not in SUBSCORES:
            raise ValueError(f"unknown sub-score {name!r}; use some of {', '.join(SUBSCORES)} "
                             f"(defaults: {_weights_text(DEFAULT_WEIGHTS)})")
        if name in out:
            raise ValueError(f"{name!r} is given twice")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"weight of {name!r} must be a number, got {raw!r}") from None
        out[name] = value
    validate_weights(out)  # negative, non-finite, all zero
    return out


def _weights_text(w: dict[str, float]) -> str:
    return ",".join(f"{k}={v:g}" for k, v in w.items())


def _weights_callback(value: str | None) -> str | None:
    try:
        parse_weights(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return value


def _steps(console: Any, steps: list[tuple[str, Callable[[], Any]]]) -> list[Any]:
    """Run labelled steps under a Rich progress display; return their results."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    results = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        task = progress.add_task(steps[0][0], total=len(steps))
        for label, fn in steps:
            progress.update(task, description=label)
            results.append(fn())
            progress.advance(task)
    return results


def _profile_of(region: str) -> Any:
    """The profile of ``region`` on the embedded data; ValueError (with close codes) if unknown."""
    from smartspec.discovery.embedded import embedded_profile

    return embedded_profile(region.strip().upper())


def _print_paths(console: Any, paths: dict[str, Path]) -> None:
    from rich.markup import escape

    console.print("[bold]Files written[/bold]")
    for key, path in paths.items():
        console.print(f"  {escape(key):<22} {escape(str(path))}", soft_wrap=True)


def _write_pdf_or_fail(console: Any, write: Callable[[], dict[str, Path]],
                       pdf: bool) -> dict[str, Path]:
    """Write the report with ``write``; with ``pdf``, print it, exiting 1 if that fails."""
    from smartspec.reports.pdf import PdfUnavailableError

    paths = write()  # the HTML and tables first, so that they exist even if the PDF fails
    if not pdf:
        return paths
    try:
        from smartspec.reports.pdf import html_to_pdf

        paths["pdf"] = html_to_pdf(paths["html"], Path(paths["html"]).with_suffix(".pdf"))
    except (PdfUnavailableError, RuntimeError) as exc:
        _print_paths(console, paths)
        typer.echo(f"error: PDF not written: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    return paths


def _short(text: object, limit: int) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def _why(row: Any, limit: int = 200) -> str:
    """One line of explanation: the first sentence of ``explanation`` and the best partners."""
    text = " ".join(str(row.get("explanation", "") or "").split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip(".")
    partners = row.get("partners")
    suffix = ""
    if isinstance(partners, list | tuple) and len(partners):
        suffix = f"; partners: {', '.join(map(str, partners[:3]))}"
    return _short(first, max(20, limit - len(suffix))) + suffix


def register(app: typer.Typer) -> None:
    """Add ``profile`` and ``candidates`` to the smartspec CLI."""

    @app.command("profile")
    def profile_command(
        region: str = typer.Argument(..., help="NUTS 2021 level-2 code, e.g. AT31."),
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.",
                                          file_okay=False)] = DEFAULT_OUT,
        pdf: bool = typer.Option(False, "--pdf", help="Also print the report to PDF "
                                 "(needs Chromium)."),
        top: int = typer.Option(15, "--top", min=1, help="Specialisations listed."),
    ) -> None:
        """Evidence profile of a region: specialisations, complexity, relatedness, peers.

        Writes an offline HTML report with CSV/Excel tables (PDF: --pdf) into --out.
        """
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        from smartspec.discovery.embedded import load_inputs
        from smartspec.reports import write_profile_report

        console = Console()
        try:
            _, prof = _steps(console, [("loading the embedded data", load_inputs),
                                       ("profiling the region", lambda: _profile_of(region))])
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from exc
        panel = load_inputs().panel
        (paths,) = _steps(console, [("writing the report", lambda: _write_pdf_or_fail(
            console, lambda: write_profile_report(prof, out, top=top, panel=panel), pdf))])

        console.rule(f"[bold]{escape(prof.region)} {escape(prof.name)}[/bold] — evidence "
                     f"profile, {prof.year}")
        t = Table(title=f"Top {min(10, len(prof.specialisations))} specialisations (RCA)")
        for col in ("NACE", "activity", "employed", "RCA", "RCA nat.", "stars"):
            t.add_column(col, justify="left" if col in ("NACE", "activity") else "right")
        for code, row in prof.specialisations.head(10).iterrows():
            stars = int(row.get("stars", 0) or 0)
            t.add_row(escape(str(code)), escape(str(row["label"])[:46]),
                      f"{row['employment']:,.0f}", f"{row['rca']:.2f}",
                      "" if row["rca_national"] != row["rca_national"]
                      else f"{row['rca_national']:.2f}", "★" * stars)
        console.print(t)
        console.print(f"ECI {prof.eci:+.2f}, rank {prof.eci_rank} of {prof.n_regions} regions; "
                      f"diversity {prof.indices.get('diversity', float('nan')):.0f} activities "
                      f"with RCA ≥ 1.")
        peers = prof.peers[prof.peers["kind"] == "structural"]["region"].astype(str).tolist()
        if peers:
            console.print(f"Most similar regions: {escape(', '.join(peers[:5]))}.")
        for note in getattr(prof, "notes", ()):
            console.print(f"[dim]{escape(str(note))}[/dim]")
        console.print(f"[dim]{escape(prof.attribution)}[/dim]")
        _print_paths(console, paths)

    @app.command("candidates")
    def candidates_command(
        region: str = typer.Argument(..., help="NUTS 2021 level-2 code, e.g. AT31."),
        top: int = typer.Option(15, "--top", min=1, help="Candidates listed (and k of the "
                                "robustness probability P(top k))."),
        weights: str | None = typer.Option(
            None, "--weights", callback=_weights_callback,
            help="Weights of the sub-scores, e.g. feasibility=0.3,value=0.2 (others keep "
                 "their defaults: feasibility, value, advantage, momentum, "
                 "transformative_potential, capability_gap)."),
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.",
                                          file_okay=False)] = DEFAULT_OUT,
        pdf: bool = typer.Option(False, "--pdf", help="Also print the report to PDF "
                                 "(needs Chromium)."),
    ) -> None:
        """Candidate transformative activities of a region, scored, explained and stress-tested.

        Writes an offline HTML report with CSV/Excel tables (PDF: --pdf) into --out.
        """
        from rich.console import Console
        from rich.markup import escape

        from smartspec.discovery.embedded import load_inputs
        from smartspec.reports import write_candidates_report

        w = parse_weights(weights)
        console = Console()
        try:
            _, prof = _steps(console, [("loading the embedded data", load_inputs),
                                       ("profiling the region", lambda: _profile_of(region))])
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from exc
        (cands,) = _steps(console, [("scoring candidates",
                                     lambda: embedded_candidates(prof.region, weights=w,
                                                                 top_k=top))])
        (paths,) = _steps(console, [("writing the report", lambda: _write_pdf_or_fail(
            console, lambda: write_candidates_report(cands, prof, out, top=top, weights=w),
            pdf))])

        console.rule(f"[bold]{escape(prof.region)} {escape(prof.name)}[/bold] — candidate "
                     "transformative activities")
        head = cands.sort_values("rank").head(top)
        console.print(f"[bold]Top {len(head)} of {len(cands)} candidates[/bold] (score 0-1; "
                      f"P = probability of staying in the top {top} under perturbed weights)")
        for code, row in head.iterrows():
            console.print(
                f"{int(row['rank']):>3}. [bold]{escape(str(code))}[/bold] "
                f"{escape(_short(row['label'], 52))} — score {row['score']:.3f}, "
                f"P {row['p_top_k']:.2f}, {escape(str(row['mode']))}", soft_wrap=True)
            console.print(f"     [dim]{escape(_why(row))}[/dim]", soft_wrap=True)
        used = {**_default_weights(), **(w or {})}
        console.print(f"[dim]Weights: {escape(_weights_text(used))}. {escape(prof.attribution)}"
                      "[/dim]")
        _print_paths(console, paths)


def _default_weights() -> dict[str, float]:
    from smartspec.discovery.scoring import DEFAULT_WEIGHTS

    return dict(DEFAULT_WEIGHTS)


def embedded_candidates(region: str, *, weights: dict[str, float] | None = None,
                        top_k: int = 10, **kwargs: Any) -> Any:
    """:func:`smartspec.discovery.candidates` of ``region`` on the shipped data.

    Uses the SBS panel, the regional-accounts history (momentum and trends), NACE labels, the
    NUTS neighbours and the Interreg Alpine Space (2021-2027) as the macro-region of partners.
    Keyword arguments override these defaults.
    """
    from smartspec import datasets
    from smartspec.discovery import candidates
    from smartspec.discovery.embedded import load_inputs

    inp = load_inputs()
    labels = datasets.nace("en").set_index("code_eurostat")["label"]
    params: dict[str, Any] = {
        "labels": labels, "history": inp.history, "neighbours": inp.neighbours,
        "macro_region": list(datasets.alpine_space(2).index.astype(str)),
        "weights": weights, "top_k": top_k,
    }
    params.update(kwargs)
    return candidates(inp.panel, region, **params)
