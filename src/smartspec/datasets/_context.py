"""Regional context indicators (Eurostat NUTS2 tables, 2007-2018)."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from ._loaders import _parquet, manifest
from ._registry import attribution

__all__ = ["context_indicators", "context_indicators_metadata"]

_ID_COLUMNS = ["region", "year", "country", "name"]


def context_indicators_metadata() -> pd.DataFrame:
    """Label, unit and Eurostat table of each variable of :func:`context_indicators`.

    Returns
    -------
    pandas.DataFrame
        Indexed by variable name, columns ``label``, ``unit``, ``eurostat_table``,
        ``source_column`` (the column name in the upstream file), ``years`` (years with at
        least one value) and ``n_values``.

    Notes
    -----
    The disposable income unit is PPS per inhabitant: in 125 of 140 Bulgarian and Romanian
    region-years the values exceed GDP per inhabitant in EUR, so they cannot be EUR.
    """
    variables = manifest()["_context_variables"]
    data = _parquet("context_nuts2_2007_2018")
    rows = []
    for name, info in variables.items():
        present = data.loc[data[name].notna(), "year"]
        years = f"{present.min()}-{present.max()}" if len(present) else ""
        rows.append(
            {
                "variable": name,
                "label": info["label"],
                "unit": info["unit"],
                "eurostat_table": info["eurostat_table"],
                "source_column": info["source_column"],
                "years": years,
                "n_values": int(data[name].notna().sum()),
            }
        )
    return pd.DataFrame(rows).set_index("variable")


def context_indicators(form: Literal["wide", "long"] = "wide") -> pd.DataFrame:
    """Context indicators for 332 NUTS2 regions (NUTS 2021 codes), 2007-2018.

    GDP (million EUR, tgs00003), population (tgs00096), unemployment rate total / male /
    female (tgs00010), disposable income of private households (PPS per inhabitant,
    tgs00026), life expectancy at birth total / male / female (tgs00101), gender employment
    gap (tepsr_lm220), households with broadband access (tgs00049) and EPO patent
    applications per million inhabitants (tgs00040, 2007-2012 only).

    Parameters
    ----------
    form
        ``"wide"``: one row per (region, year) with one column per variable; ``"long"``:
        columns ``region, year, country, name, variable, value`` without missing values.

    Returns
    -------
    pandas.DataFrame
        ``df.attrs["metadata"]`` maps each variable to its label, unit and Eurostat table
        (the same as :func:`context_indicators_metadata`), ``df.attrs["attribution"]`` holds
        the attribution text.

    Notes
    -----
    The values were joined onto NUTS 2021 regions upstream, so regions recoded after 2013
    can be missing in early years. Population and unemployment start in 2008; broadband
    starts in 2008 and covers about half of the regions. The table includes CH, LI, NO, IS
    and candidate countries where Eurostat publishes them.

    Source: Eurostat. See ``DATA_SOURCES.md``.
    """
    if form not in ("wide", "long"):
        raise ValueError(f"form must be 'wide' or 'long', got {form!r}")
    data = _parquet("context_nuts2_2007_2018").copy()
    if form == "long":
        data = data.melt(id_vars=_ID_COLUMNS, var_name="variable", value_name="value")
        data = data.dropna(subset=["value"]).sort_values(["region", "year", "variable"])
        data = data.reset_index(drop=True)
    meta = context_indicators_metadata()
    data.attrs["metadata"] = {
        name: {"label": row.label, "unit": row.unit, "eurostat_table": row.eurostat_table}
        for name, row in meta.iterrows()
    }
    data.attrs["attribution"] = attribution("context_indicators")
    return data
