"""The strategy document's section on the skills of the region's registered companies."""

from __future__ import annotations

import pytest

from smartspec.store import db
from smartspec.store.demo import seed_demo
from smartspec.store.strategy_doc import render_strategy_html, strategy_context


@pytest.fixture
def demo_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    seed_demo(url, region="AT31")
    return url


def test_strategy_lists_company_skills_by_esco_group(demo_url):
    with db.session_scope(demo_url, user="test") as session:
        ctx = strategy_context(session, "demo-at31", "C25")
    assert ctx["skills_n"] > 0
    groups = ctx["skills"]
    assert groups and all(1 <= g["level"] <= 2 for g in groups)
    assert [g["n_actors"] for g in groups] == sorted((g["n_actors"] for g in groups),
                                                     reverse=True)
    assert all(0 < g["share_actors"] <= 1 for g in groups)
    html = render_strategy_html(ctx)
    assert "Skills of the region&#39;s companies" in html or "Skills of the region's companies" in html
    assert groups[0]["label"] in html
