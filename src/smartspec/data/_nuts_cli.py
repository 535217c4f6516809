"""``smartspec regions``: list NUTS regions, their typologies, or the Alpine Space."""

from __future__ import annotations

import typer

_FLAGS = ("mountainous", "border", "metropolitan", "coastal", "island")


def _flag_text(row) -> str:
    """Comma-separated typology flags of one regions() row ('' when none / unknown)."""
    import pandas as pd

    parts = [name for name in _FLAGS if not pd.isna(row[name]) and bool(row[name])]
    urban = row.get("urban_rural")
    if isinstance(urban, str):
        parts.append(urban)
    return ", ".join(parts)


def register(app: typer.Typer) -> None:
    """Add the ``regions`` command to the smartspec CLI."""

    @app.command("regions")
    def regions_command(
        level: int = typer.Option(2, "--level", "-l", min=0, max=3, help="NUTS level (0-3)."),
        alpine: bool = typer.Option(False, "--alpine", help="Only the Interreg Alpine Space."),
        country: str | None = typer.Option(None, "--country", "-c",
                                           help="Two-letter country code, e.g. AT (Greece: EL)."),
        version: int = typer.Option(2021, "--version", help="NUTS version: 2021 or 2024."),
        period: str = typer.Option("2021-2027", "--period",
                                   help="Alpine Space programme period: 2021-2027 or 2014-2020."),
    ) -> None:
        """List NUTS regions (code, name, country, typologies) as a table."""
        from rich.console import Console
        from rich.table import Table

        from smartspec.datasets import geo

        console = Console()
        try:
            if alpine:
                if version != 2021:
                    raise ValueError("the Alpine Space list uses NUTS 2021 codes; drop --version")
                df = geo.alpine_space(level, period=period)
                if country:
                    df = df[df["country"] == country.upper()]
            else:
                df = geo.regions(level, version=version, country=country)
        except ValueError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=2) from exc
        if df.empty:
            console.print(f"[yellow]no NUTS {version} level-{level} regions"
                          f"{' for ' + country.upper() if country else ''}[/yellow]")
            raise typer.Exit(code=1)

        title = (f"Interreg Alpine Space {period}" if alpine else f"NUTS {version}") \
            + f", level {level}"
        table = Table(title=f"{title} ({len(df)} regions)")
        for col in ("code", "name", "country", "typologies"):
            table.add_column(col, no_wrap=col == "code")
        for code, row in df.iterrows():
            table.add_row(str(code), str(row["name"]), str(row["country"]), _flag_text(row))
        console.print(table)
        if alpine:
            console.print("Source: Interreg Alpine Space cooperation area; typologies: Eurostat "
                          "(NUTS-3 typologies), GISCO.")
