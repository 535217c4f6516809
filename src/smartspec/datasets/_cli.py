"""``smartspec datasets``: list the real datasets shipped with smartspec."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``datasets`` command to the smartspec CLI."""

    @app.command("datasets")
    def datasets_command(
        show_attribution: bool = typer.Option(
            False, "--attribution", help="Also show the attribution text of every dataset."
        ),
    ) -> None:
        """List the datasets shipped with smartspec: source, licence, years and coverage."""
        from rich.console import Console
        from rich.table import Table

        from smartspec.datasets import catalogue

        cat = catalogue()
        table = Table(
            title="smartspec datasets (smartspec.datasets.<name>())",
            caption="Sources, licences and transformations: DATA_SOURCES.md",
            show_lines=False,
        )
        table.add_column("name", style="bold cyan", no_wrap=True)
        table.add_column("source")
        table.add_column("licence")
        table.add_column("years", no_wrap=True)
        table.add_column("coverage")
        if show_attribution:
            table.add_column("attribution")
        for row in cat.itertuples(index=False):
            cells = [row.name, row.source, row.licence, row.years or "-", row.coverage]
            if show_attribution:
                cells.append(row.attribution)
            table.add_row(*cells)
        Console().print(table)
