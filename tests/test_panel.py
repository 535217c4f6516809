"""Tests for smartspec.data.panel (the Panel model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.data import (
    INCOMPLETE_FLAG,
    MISSING_FLAG,
    Panel,
    PanelMeta,
    PanelValidationError,
    Source,
    UnknownCodeWarning,
)


def frame(rows):
    """Frame from (region, activity, year, value[, flag]) tuples."""
    cols = ["region", "activity", "year", "value", "flag"]
    rows = [tuple(r) + (None,) * (5 - len(r)) for r in rows]
    return pd.DataFrame(rows, columns=cols)


@pytest.fixture
def panel():
    return Panel(frame([
        ("DE21", "C10", 2015, 10.0), ("DE21", "C11", 2015, 5.0, "p"),
        ("DE22", "C10", 2015, np.nan, "c"), ("DE22", "C11", 2015, 7.0),
        ("DE11", "C10", 2015, 3.0), ("DE21", "C10", 2016, 12.0),
    ]), PanelMeta(measure="persons employed", region_level=2), origin="emp.csv")


# -- construction -------------------------------------------------------------------------------
def test_frame_is_canonical(panel):
    f = panel.frame
    assert list(f.columns) == ["region", "activity", "year", "value", "flag"]
    assert isinstance(f["region"].dtype, pd.CategoricalDtype)
    assert f["year"].dtype == np.int64 and f["value"].dtype == np.float64
    keys = list(zip(f["region"].astype(str), f["activity"].astype(str), f["year"], strict=True))
    assert keys == sorted(keys)
    assert panel.years == [2015, 2016]
    assert list(panel.regions) == ["DE11", "DE21", "DE22"]
    assert list(panel.activities) == ["C10", "C11"]
    assert len(panel) == 6


def test_missing_value_gets_reason():
    p = Panel(frame([("AT1", "A", 2020, None), ("AT1", "B", 2020, np.nan, "c"),
                     ("AT2", "A", 2020, 1.0)]))
    missing = p.missing
    assert list(missing.columns) == ["region", "activity", "year", "reason"]
    assert dict(zip(missing["activity"], missing["reason"], strict=True)) == {
        "A": MISSING_FLAG, "B": "c"}


def test_codes_are_stripped_and_numeric_codes_become_text():
    p = Panel(pd.DataFrame({"region": [" AT1 ", "AT2"], "activity": [1.0, 27.0],
                            "year": ["2015", "2015"], "value": ["1", "2.5"]}))
    assert list(p.regions) == ["AT1", "AT2"]
    assert list(p.activities) == ["1", "27"]
    assert p.frame["value"].tolist() == [1.0, 2.5]


def test_repr_summarises(panel):
    text = repr(panel)
    assert "persons employed" in text and "2 years (2015-2016)" in text
    assert "3 regions × 2 activities" in text and "1 missing" in text and "emp.csv" in text


# -- validation ---------------------------------------------------------------------------------
def test_all_problems_reported_once_with_file_row_column():
    bad = frame([
        ("DE1", "C10", 2015, -3.0),          # row 2: negative
        ("DE2", "C10", 2015, "abc"),         # row 3: non-numeric
        ("DE3", "C10", 2015, np.inf),        # row 4: infinite
        ("DE4", "C10", 2015, 5e15),          # row 5: huge
        ("=cmd", "C10", 2015, 1.0),          # row 6: formula-looking code
        ("DE5", "C10", "x", 1.0),            # row 7: bad year
        ("DE1", "C10", 2015, 2.0),           # row 8: duplicate of row 2
    ])
    with pytest.raises(PanelValidationError) as info:
        Panel(bad, origin="data.csv")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.total == 7
    assert set(err.counts) == {"negative value", "non-numeric value", "infinite value",
                               "implausibly large value", "invalid region code", "invalid year",
                               "duplicate key"}
    message = str(err)
    for fragment in ("'data.csv', row 2, column 'value': negative",
                     "row 3, column 'value': not a number (got 'abc')",
                     "row 4, column 'value': value is infinite",
                     "row 5, column 'value': value exceeds",
                     "row 6, column 'region': formula-looking cell",
                     "row 7, column 'year': year is not an integer",
                     "duplicate key ('DE1', 'C10', 2015) in rows 2, 8"):
        assert fragment in message
    assert all(p.origin == "data.csv" and p.row is not None for p in err.problems)


def test_private_row_and_col_columns_locate_problems():
    f = frame([("DE1", "C10", 2015, -1.0)])
    f["_row"] = [17]
    f["_col"] = ["C10"]
    with pytest.raises(PanelValidationError, match=r"row 17, column 'C10'"):
        Panel(f, origin="wide.csv")
    ok = Panel(frame([("DE1", "C10", 2015, 1.0)]).assign(_row=[5]))
    assert "_row" not in ok.frame.columns


def test_missing_required_column():
    with pytest.raises(PanelValidationError, match="required column"):
        Panel(pd.DataFrame({"region": ["A"], "activity": ["B"], "value": [1.0]}))
    with pytest.raises(TypeError):
        Panel([("A", "B", 2015, 1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Panel(frame([("A", "B", 2015, 1.0)]), meta={"measure": "x"})  # type: ignore[arg-type]


def test_problem_listing_is_capped_but_counted():
    n = 1000
    f = pd.DataFrame({"region": [f"R{i}" for i in range(n)], "activity": "A", "year": 2015,
                      "value": -1.0})
    with pytest.raises(PanelValidationError) as info:
        Panel(f, origin="many.csv")
    assert info.value.counts == {"negative value": n}
    assert len(str(info.value).splitlines()) <= PanelValidationError.max_listed + 2
    assert "and 970 more" in str(info.value)


def test_duplicates_sum_applies_missing_rule():
    f = frame([("A1", "X", 2015, 2.0), ("A1", "X", 2015, 3.0),
               ("A1", "Y", 2015, 1.0), ("A1", "Y", 2015, np.nan, "c"),
               ("A1", "Z", 2015, np.nan, "c"), ("A1", "Z", 2015, np.nan, "c")])
    p = Panel(f, duplicates="sum")
    got = p.frame.set_index("activity")
    assert got.loc["X", "value"] == 5.0 and pd.isna(got.loc["X", "flag"])
    assert got.loc["Y", "value"] == 1.0 and got.loc["Y", "flag"] == INCOMPLETE_FLAG
    assert np.isnan(got.loc["Z", "value"]) and got.loc["Z", "flag"] == "c"
    with pytest.raises(ValueError, match="duplicates"):
        Panel(f, duplicates="keep")  # type: ignore[arg-type]


def test_unknown_codes_raise_or_warn():
    f = frame([("DE21", "C10", 2015, 1.0), ("XX99", "C10", 2015, 2.0)])
    with pytest.raises(PanelValidationError, match=r"row 3, column 'region': unknown region"):
        Panel(f, known_regions=["DE21"], origin="f.csv")
    with pytest.warns(UnknownCodeWarning, match="XX99"):
        p = Panel(f, known_regions=["DE21"], known_activities=["C10"], unknown="warn")
    assert "XX99" in p.regions


# -- matrices -----------------------------------------------------------------------------------
def test_matrix_latest_year_and_missing_modes(panel):
    m = panel.matrix()
    assert m.shape == (1, 1) and m.loc["DE21", "C10"] == 12.0
    m15 = panel.matrix(2015)
    assert m15.index.name == "region" and m15.columns.name == "activity"
    assert np.isnan(m15.loc["DE22", "C10"]) and np.isnan(m15.loc["DE11", "C11"])
    zero = panel.matrix(2015, missing="zero")
    assert zero.loc["DE22", "C10"] == 0.0 and zero.loc["DE11", "C11"] == 0.0
    assert set(panel.matrices()) == {2015, 2016}
    with pytest.raises(KeyError):
        panel.matrix(1999)
    with pytest.raises(ValueError):
        panel.matrix(2015, missing="drop")  # type: ignore[arg-type]


def test_from_matrix_validates():
    m = pd.DataFrame({"A": [1.0, -2.0]}, index=["R1", "R2"])
    with pytest.raises(PanelValidationError, match=r"row 3, column 'A': negative"):
        Panel.from_matrix(m, 2015)
    with pytest.raises(TypeError):
        Panel.from_matrix(m.to_numpy(), 2015)  # type: ignore[arg-type]


matrices = st.integers(1, 5).flatmap(lambda r: st.integers(1, 5).flatmap(
    lambda c: st.lists(st.one_of(st.none(), st.floats(0, 1e9, allow_nan=False)),
                       min_size=r * c, max_size=r * c).map(
        lambda vals: pd.DataFrame(np.array([np.nan if v is None else v for v in vals],
                                           dtype=float).reshape(r, c),
                                  index=[f"R{i}" for i in range(r)],
                                  columns=[f"A{j}" for j in range(c)]))))


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_matrix_round_trip(m):
    p = Panel.from_matrix(m, 2020, dropna=False)
    back = p.matrix(2020).reindex(index=m.index, columns=m.columns)
    np.testing.assert_array_equal(back.to_numpy(), m.to_numpy())
    assert Panel.from_matrix(p.matrix(), 2020, dropna=False).equals(p)
    sparse = Panel.from_matrix(m, 2020)  # NaN cells dropped
    assert len(sparse) == int(m.notna().to_numpy().sum())


# -- selection and aggregation ------------------------------------------------------------------
def test_select(panel):
    assert list(panel.select(regions="DE21").regions) == ["DE21"]
    sub = panel.select(regions=lambda c: c.startswith("DE2"), activities=["C10"], years=2015)
    assert list(sub.regions) == ["DE21", "DE22"] and list(sub.activities) == ["C10"]
    assert sub.years == [2015] and sub.meta == panel.meta
    assert len(panel.select(years=lambda y: y > 2015)) == 1
    assert len(panel.select(regions=["nowhere"])) == 0


def test_aggregate_nuts_with_flags(panel):
    agg = panel.aggregate(regions=("nuts", 1))
    f = agg.frame.set_index(["region", "activity", "year"])
    assert f.loc[("DE2", "C10", 2015), "value"] == 10.0  # DE22 is confidential
    assert f.loc[("DE2", "C10", 2015), "flag"] == INCOMPLETE_FLAG
    assert f.loc[("DE2", "C11", 2015), "value"] == 12.0
    assert pd.isna(f.loc[("DE2", "C11", 2015), "flag"])
    assert f.loc[("DE1", "C10", 2015), "value"] == 3.0
    assert agg.meta.region_level == 1
    same = panel.aggregate(regions="nuts", level=1)
    assert same.equals(agg)
    country = panel.aggregate(regions=("nuts", 0), activities={"C10": "C", "C11": "C"})
    assert country.frame.query("year == 2015")["value"].tolist() == [25.0]


def test_aggregate_all_missing_keeps_common_reason():
    p = Panel(frame([("AT11", "A", 2015, np.nan, "c"), ("AT12", "A", 2015, np.nan, "c"),
                     ("AT11", "B", 2015, np.nan, "c"), ("AT12", "B", 2015, np.nan, "x")]))
    f = p.aggregate(regions=("nuts", 1)).frame.set_index("activity")
    assert np.isnan(f.loc["A", "value"]) and f.loc["A", "flag"] == "c"
    assert f.loc["B", "flag"] == MISSING_FLAG


def test_aggregate_mappings_and_unmapped(panel):
    up = panel.aggregate(regions=lambda c: "SOUTH" if c.startswith("DE2") else None,
                         unmapped="drop")
    assert list(up.regions) == ["SOUTH"]
    with pytest.raises(ValueError, match="have no parent: 'DE11'"):
        panel.aggregate(regions=pd.Series({"DE21": "S", "DE22": "S"}))
    kept = panel.aggregate(regions={"DE21": "S", "DE22": "S"}, unmapped="keep")
    assert list(kept.regions) == ["DE11", "S"]


def test_aggregate_refuses_double_counting():
    p = Panel(frame([("DE2", "A", 2015, 5.0), ("DE21", "A", 2015, 3.0),
                     ("DE22", "A", 2015, 2.0)]))
    with pytest.raises(ValueError, match="counted twice|count twice"):
        p.aggregate(regions=("nuts", 1))
    with pytest.raises(ValueError, match="no parent"):
        p.aggregate(regions=("nuts", 2))  # DE2 is coarser than level 2
    with pytest.raises(ValueError, match="target level"):
        p.aggregate(regions=("nuts", "x"))


def test_aggregate_nace_levels():
    p = Panel(frame([("AT1", "C1011", 2015, 1.0), ("AT1", "C1012", 2015, 2.0),
                     ("AT1", "C11", 2015, 4.0), ("AT1", "B-E", 2015, 9.0)]))
    div = p.aggregate(activities=("nace", "division"), unmapped="drop")
    assert dict(zip(div.frame["activity"], div.frame["value"], strict=True)) == {
        "C10": 3.0, "C11": 4.0}
    assert div.meta.activity_level == "division"
    sec = p.aggregate(activities=("nace", "section"), unmapped="drop")
    assert sec.frame["value"].tolist() == [7.0]


@st.composite
def nuts_panels(draw):
    n = draw(st.integers(1, 30))
    regions = draw(st.lists(st.sampled_from(["AT11", "AT12", "AT21", "AT22", "DE11", "DE21"]),
                            min_size=n, max_size=n))
    acts = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n))
    years = draw(st.lists(st.sampled_from([2015, 2016]), min_size=n, max_size=n))
    vals = draw(st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=n, max_size=n))
    f = pd.DataFrame({"region": regions, "activity": acts, "year": years,
                      "value": [np.nan if v is None else float(v) for v in vals]})
    return Panel(f, duplicates="sum")


@settings(max_examples=60, deadline=None)
@given(nuts_panels(), st.integers(0, 1))
def test_aggregate_preserves_totals(p, level):
    agg = p.aggregate(regions=("nuts", level), activities=lambda a: "ALL")
    for year in p.years:
        before = p.frame.loc[p.frame["year"] == year, "value"].sum()
        after = agg.frame.loc[agg.frame["year"] == year, "value"].sum()
        assert after == pytest.approx(before)
    assert agg.frame["value"].isna().sum() <= p.frame["value"].isna().sum()


# -- persistence --------------------------------------------------------------------------------
def test_parquet_round_trip_keeps_metadata(panel, tmp_path):
    meta = PanelMeta(region_version=2013, region_level=2, activity_classification="NACE Rev. 2",
                     measure="persons employed", unit="persons",
                     source=Source("Eurostat sbs_r_nuts06_r2", "Decision 2011/833/EU",
                                   "Source: Eurostat", retrieved="2024-01-01"))
    p = panel.with_meta(**{k: getattr(meta, k) for k in meta.to_dict()})
    path = p.to_parquet(tmp_path / "p.parquet")
    back = Panel.read_parquet(path)
    assert back.meta == meta and isinstance(back.meta.source, Source)
    assert back.equals(p)
    assert back.frame["flag"].astype(object).tolist() == p.frame["flag"].astype(object).tolist()
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(ValueError, match="not written by Panel.to_parquet"):
        Panel.read_parquet(tmp_path / "other.parquet")


def test_meta_from_dict_ignores_unknown_keys():
    meta = PanelMeta.from_dict({"measure": "x", "future_field": 1,
                                "source": {"name": "n", "licence": "l", "attribution": "a"}})
    assert meta.measure == "x" and meta.source == Source("n", "l", "a")
