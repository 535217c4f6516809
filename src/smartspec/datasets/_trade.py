"""World exports by country and HS chapter (CEPII BACI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ._loaders import _parquet, read_table
from ._panels import fresh_panel, register
from ._registry import source

if TYPE_CHECKING:  # pragma: no cover
    from smartspec.data.panel import Panel, PanelMeta

__all__ = ["hs2_chapters", "trade_countries", "trade_hs2", "trade_hs2_labels"]


@register("trade_hs2")
def _build_trade() -> tuple[pd.DataFrame, PanelMeta]:
    from smartspec.data.panel import PanelMeta

    frame = _parquet("baci_hs2_exports_2024")[["region", "activity", "year", "value"]]
    frame = frame.astype({"year": "int64"}).reset_index(drop=True)
    meta = PanelMeta(
        region_classification="ISO3",
        region_version=None,
        region_level=None,
        activity_classification="HS 1996",
        activity_level="chapter",
        measure="exports",
        unit="thousand USD",
        source=source("trade_hs2"),
    )
    return frame, meta


def trade_hs2() -> Panel:
    """Exports in 2024 by exporting country and HS chapter, thousand USD (CEPII BACI).

    BACI (version 202601, HS 1996 nomenclature) reconciles the declarations of exporters and
    importers from UN Comtrade; this is the exporter total per 2-digit HS chapter.

    Returns
    -------
    smartspec.data.panel.Panel
        226 exporters x 96 chapters. Regions are ISO 3166 alpha-3 codes (``"S19"`` is BACI's
        code for "Other Asia, nes"); activities are 2-digit chapter strings ``"01"`` ...
        ``"97"`` (chapter 77 is reserved and does not occur). Labels: :func:`trade_countries`
        and :func:`hs2_chapters` (or :func:`trade_hs2_labels`).

    Source: CEPII BACI (Gaulier & Zignago 2010), Etalab Open Licence 2.0. See
    ``DATA_SOURCES.md``.
    """
    return fresh_panel("trade_hs2", ())


def trade_countries() -> pd.DataFrame:
    """BACI's country table: ``code`` (BACI numeric), ``iso3``, ``iso2`` and ``name``.

    It has 238 rows, including historical codes (e.g. Belgium-Luxembourg ...1998) that do
    not occur in :func:`trade_hs2`.
    """
    return read_table("baci_countries")


def hs2_chapters() -> pd.DataFrame:
    """HS 1996 chapters: ``chapter`` (``"01"`` ... ``"99"``) and English ``label``."""
    return read_table("hs96_chapters")


def trade_hs2_labels() -> dict[str, pd.Series]:
    """Labels of :func:`trade_hs2`: ``{"regions": iso3 -> name, "activities": chapter -> label}``.

    Only codes that occur in the panel are included.
    """
    panel_frame = _parquet("baci_hs2_exports_2024")
    countries = _parquet("baci_countries")
    present = countries[countries["iso3"].isin(set(panel_frame["region"]))]
    regions = pd.Series(
        present["name"].to_numpy(), index=pd.Index(present["iso3"].to_numpy(), name="region"),
        name="name",
    ).sort_index()
    chapters = _parquet("hs96_chapters")
    chapters = chapters[chapters["chapter"].isin(set(panel_frame["activity"]))]
    activities = pd.Series(
        chapters["label"].to_numpy(),
        index=pd.Index(chapters["chapter"].to_numpy(), name="activity"),
        name="label",
    ).sort_index()
    return {"regions": regions, "activities": activities}
