"""``smartspec import``: validate and summarise a user data file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

_LAYOUTS = ("auto", "long", "wide")


def _parse_filters(items: list[str] | None) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for item in items or []:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise typer.BadParameter(f"filter {item!r} must look like COLUMN=VALUE",
                                     param_hint="--filter")
        filters.setdefault(column.strip(), []).append(value.strip())
    return filters


def _year_option(year: str | None) -> str | int | None:
    if year is not None and year.strip().isdigit():
        return int(year)
    return year


def register(app: typer.Typer) -> None:
    """Add the ``import`` command to ``app``."""

    @app.command("import")
    def import_command(
        file: Annotated[Path, typer.Argument(help="CSV/TSV(.gz), Eurostat TSV, SDMX-CSV, "
                                             "Parquet or .xlsx file.")],
        region: Annotated[str | None, typer.Option(help="Region column.")] = None,
        activity: Annotated[str | None, typer.Option(help="Activity column.")] = None,
        year: Annotated[str | None, typer.Option(
            help="Year column, or a constant year (e.g. 2015).")] = None,
        value: Annotated[str | None, typer.Option(help="Value column.")] = None,
        flag: Annotated[str | None, typer.Option(help="Flag column.")] = None,
        layout: Annotated[str, typer.Option(help="auto, long or wide.")] = "auto",
        sheet: Annotated[str | None, typer.Option(help="Excel sheet name or index.")] = None,
        delimiter: Annotated[str | None, typer.Option(help="Field delimiter.")] = None,
        encoding: Annotated[str | None, typer.Option(help="Text encoding.")] = None,
        filters: Annotated[list[str] | None, typer.Option(
            "--filter", help="Keep rows where COLUMN=VALUE (repeatable).")] = None,
        duplicates: Annotated[str, typer.Option(help="raise or sum.")] = "raise",
        top: Annotated[int, typer.Option(min=0, help="How many top regions to list.")] = 10,
        output: Annotated[Path | None, typer.Option(
            "--output", "-o", help="Write the validated panel to this Parquet file.")] = None,
    ) -> None:
        """Validate FILE and summarise it: format, rows, codes, years, missing values."""
        from rich.console import Console
        from rich.table import Table

        from smartspec.data.io import LARGE_FILE_BYTES, DataImportError, read

        console = Console()
        errors = Console(stderr=True)
        if layout not in _LAYOUTS:
            raise typer.BadParameter(f"must be one of {_LAYOUTS}", param_hint="--layout")
        if duplicates not in ("raise", "sum"):
            raise typer.BadParameter("must be raise or sum", param_hint="--duplicates")
        sheet_arg: str | int | None = int(sheet) if sheet and sheet.isdigit() else sheet
        kwargs = dict(region=region, activity=activity, year=_year_option(year), value=value,
                      flag=flag, layout=layout, sheet=sheet_arg, delimiter=delimiter,
                      encoding=encoding, filters=_parse_filters(filters),
                      duplicates=duplicates)
        big = file.is_file() and file.stat().st_size > LARGE_FILE_BYTES // 10
        try:
            if big:
                with console.status(f"Importing {file.name} ...") as status:
                    result = read(file, progress=lambda stage: status.update(
                        f"Importing {file.name}: {stage} ..."), **kwargs)
            else:
                result = read(file, **kwargs)
        except DataImportError as exc:
            errors.print(f"[bold red]Import failed[/bold red] ({exc.total:,} problem(s))",
                         highlight=False)
            errors.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except (FileNotFoundError, IsADirectoryError, ValueError, TypeError) as exc:
            errors.print(f"[bold red]Error:[/bold red] {exc}", highlight=False)
            raise typer.Exit(1) from None

        panel, report = result
        console.print(report)
        if top and len(panel):
            latest = panel.years[-1]
            totals = panel.matrix(latest).sum(axis=1, min_count=1).dropna()
            totals = totals.sort_values(ascending=False).head(top)
            console.print(f"[bold]Top regions by total, {latest}[/bold] (sum over all "
                          "activities in the file)", highlight=False)
            table = Table()
            table.add_column("region")
            table.add_column("total", justify="right")
            for code, total in totals.items():
                table.add_row(str(code), f"{total:,.0f}")
            console.print(table)
        if output is not None:
            path = panel.to_parquet(output)
            console.print(f"Panel written to {path}")
