"""CLI commands of the evidence base: ``smartspec evidence REGION`` and ``smartspec run``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import typer

#: The default region of ``make run``: Oberösterreich (Upper Austria), an Alpine Space
#: manufacturing region with nearly complete SBS data and a long employment history.
DEFAULT_REGION = "AT31"


@dataclass(frozen=True)
class RegionEvidence:
    """The indicators of one region computed on a whole region x activity panel year."""

    region: str
    name: str
    year: int
    specialisations: pd.DataFrame
    eci: float
    eci_rank: int
    n_regions: int
    indices: pd.Series
    opportunities: pd.DataFrame
    missing_cells: int
    attribution: str


def region_evidence(region: str, *, top: int = 10) -> RegionEvidence:
    """Compute the evidence summary of ``region`` on the embedded Eurostat SBS data."""
    from smartspec import datasets, evidence

    panel = datasets.sbs_employment()
    names = datasets.regions(2)["name"]
    labels = datasets.nace("en").set_index("code_eurostat")["label"]
    x_raw = panel.matrix()
    if region not in x_raw.index:
        close = [r for r in x_raw.index if r.startswith(region[:2])][:12]
        raise ValueError(
            f"region {region!r} is not in {panel.meta.source.name if panel.meta.source else 'the data'}"
            f" (NUTS {panel.meta.region_version} level {panel.meta.region_level}); "
            f"regions of {region[:2]}: {', '.join(close) or 'none'}"
        )
    missing_cells = int(x_raw.loc[region].isna().sum())
    x = x_raw.fillna(0.0)
    x = x[x.sum(axis=1) > 0]
    res = evidence.pipeline(x)
    m = res.frame("presence")
    r_eu = res.frame("rca").loc[region]
    country = x[x.index.str[:2] == region[:2]]
    r_nat = evidence.rca(country).loc[region] if len(country) > 1 else pd.Series(np.nan, x.columns)
    emp = x.loc[region]
    pci = res.pci.iloc[-1]
    spec = pd.DataFrame({
        "label": labels.reindex(x.columns).to_numpy(),
        "employment": emp, "share": emp / emp.sum(), "lq_eu": r_eu, "lq_national": r_nat,
        "pci": pci,
    }).sort_values("lq_eu", ascending=False)
    spec = spec[spec["employment"] > 0].head(top)
    eci = res.eci.iloc[-1]
    hierarchy = pd.Series(x.columns.str[0], index=x.columns)  # NACE division -> section
    indices = evidence.specialisation_indices(x, hierarchy=hierarchy).loc[region]
    dens = res.frame("density").loc[region]
    opp = pd.DataFrame({
        "label": labels.reindex(x.columns).to_numpy(), "density": dens, "pci": pci,
        "lq_eu": r_eu,
    })[m.loc[region] == 0].sort_values("density", ascending=False).head(5)
    return RegionEvidence(
        region=region, name=str(names.get(region, region)), year=int(panel.years[-1]),
        specialisations=spec, eci=float(eci[region]),
        eci_rank=int(eci.rank(ascending=False)[region]), n_regions=int(eci.notna().sum()),
        indices=indices, opportunities=opp, missing_cells=missing_cells,
        attribution=datasets.attribution("sbs_employment"),
    )


def _print(ev: RegionEvidence) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.rule(f"[bold]{ev.region} {ev.name}[/bold] — evidence base, {ev.year}")
    t = Table(title=f"Top {len(ev.specialisations)} specialisations (location quotient)")
    for col in ("NACE", "activity", "employed", "share", "LQ EU", "LQ nat.", "PCI"):
        t.add_column(col, justify="left" if col in ("NACE", "activity") else "right")
    for code, row in ev.specialisations.iterrows():
        t.add_row(str(code), str(row["label"])[:48], f"{row['employment']:,.0f}",
                  f"{row['share']:.1%}", f"{row['lq_eu']:.2f}", f"{row['lq_national']:.2f}",
                  f"{row['pci']:+.2f}")
    console.print(t)
    console.print(f"Economic complexity (ECI): [bold]{ev.eci:+.2f}[/bold], rank "
                  f"{ev.eci_rank} of {ev.n_regions} regions")
    ix = ev.indices
    console.print(
        f"Specialisation: Krugman {ix['krugman']:.3f}, Hoover {ix['hoover']:.3f}, "
        f"HHI {ix['hhi']:.3f}; variety: entropy {ix['entropy']:.2f} bits = related "
        f"{ix['related_variety']:.2f} + unrelated {ix['unrelated_variety']:.2f}")
    t = Table(title="Closest activities not yet specialised (relatedness density)")
    for col in ("NACE", "activity", "density", "PCI", "LQ EU"):
        t.add_column(col, justify="left" if col in ("NACE", "activity") else "right")
    for code, row in ev.opportunities.iterrows():
        t.add_row(str(code), str(row["label"])[:48], f"{row['density']:.3f}",
                  f"{row['pci']:+.2f}", f"{row['lq_eu']:.2f}")
    console.print(t)
    console.print(f"[dim]{ev.attribution}. {ev.missing_cells} confidential/missing cells of "
                  f"{ev.region} counted as zero. LQ: share of the region's employment over the "
                  "share in all regions (EU) or in the country's regions (national).[/dim]")


def register(app: typer.Typer) -> None:
    """Add ``evidence`` and ``run`` to the smartspec CLI."""

    @app.command("evidence")
    def evidence_command(
        region: str = typer.Argument(..., help="NUTS 2021 level-2 code, e.g. AT31."),
        top: int = typer.Option(10, "--top", min=1, help="Number of specialisations shown."),
    ) -> None:
        """Specialisation, complexity, variety and related opportunities of a region."""
        try:
            ev = region_evidence(region.upper(), top=top)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from exc
        _print(ev)

    @app.command("run")
    def run_command(
        region: str = typer.Option(DEFAULT_REGION, "--region", help="Default Alpine region."),
    ) -> None:
        """The main job on the embedded data (what ``make run`` runs)."""
        ev = region_evidence(region.upper())
        _print(ev)
