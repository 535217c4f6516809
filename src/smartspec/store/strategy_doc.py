"""The strategy document of a TA (HTML), written from the stored, user-edited strategy.

One self-contained HTML page (no scripts, no external assets; printable to PDF): the TA and the
evidence that justified it, the consortium, the actions in strategy order with their rationale,
lead, dates, money, milestones and indicators, and for each action the matching funding
instruments (:func:`smartspec.strategy.funding.match_funding`, on the workspace's catalogue)
and good practices (:func:`smartspec.implementation.good_practices.recommend_practices`).
Every value is HTML-escaped (Jinja2 autoescape).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from . import services as svc
from .models import SelectedTA, Workspace

__all__ = ["render_strategy_html", "strategy_context", "write_strategy"]

TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="smartspec {{ version }}">
<title>Strategy {{ ta.activity }} — {{ ws.name }}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
         color: #1d2630; margin: 0; background: #f6f7f9; line-height: 1.45; font-size: 14px; }
  main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
  header { border-bottom: 3px solid #1f5f8b; margin-bottom: 16px; padding-bottom: 8px; }
  h1 { margin: 0 0 4px; font-size: 24px; } h2 { font-size: 19px; border-bottom: 1px solid #dde2e8; }
  h3 { font-size: 16px; margin: 18px 0 4px; }
  .muted { color: #5f6b7a; } .small { font-size: 12px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 10px; }
  th, td { border-bottom: 1px solid #dde2e8; padding: 4px 6px; text-align: left; vertical-align: top; }
  th { background: #f0f3f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .action { border: 1px solid #dde2e8; border-radius: 6px; padding: 8px 12px; margin: 12px 0;
            break-inside: avoid; }
  .status { display: inline-block; padding: 0 6px; border-radius: 4px; background: #eef3f8;
            font-size: 12px; }
  .fictional { background: #fff3cd; padding: 6px 10px; border-radius: 4px; }
  footer { margin-top: 32px; font-size: 12px; color: #5f6b7a; border-top: 1px solid #dde2e8; }
  @page { size: A4; margin: 12mm 10mm; }
  @media print { body { background: #fff; } main { padding: 0; } }
</style>
</head>
<body><main>
<header>
  <h1>Development strategy: {{ ta.activity }} {{ ta.label }}</h1>
  <div class="muted">{{ ws.name }} — home region {{ home }}{% if partners %}, partners
    {{ partners | join(", ") }}{% endif %} — TA status {{ ta.status }}{% if ta.mode %},
    mode {{ ta.mode | replace("_", " ") }}{% endif %}</div>
  <div class="small muted">Written {{ today }} from the workspace store; selected
    {{ ta.selected_at.strftime("%Y-%m-%d") }}.</div>
</header>
{% if fictional %}<p class="fictional">The strategy involves fictional demo actors
  ({{ fictional }}): illustrative only.</p>{% endif %}

<section>
<h2>Why this TA: the evidence</h2>
{% if candidate %}
<table>
  <tr>{% for key, value in evidence %}<th>{{ key }}</th>{% endfor %}</tr>
  <tr>{% for key, value in evidence %}<td class="num">{{ value }}</td>{% endfor %}</tr>
</table>
{% if candidate.explanation %}<p>{{ candidate.explanation }}</p>{% endif %}
{% if candidate.partners %}<p>Partner regions holding missing capabilities:
  {{ candidate.partners | join(", ") }}.</p>{% endif %}
{% else %}<p class="muted">No evidence snapshot was recorded with this TA.</p>{% endif %}
{% if mass %}<p>Critical mass: capacity {{ "%.2f" | format(mass.ratio) }} of the size-star
  threshold{% if mass.missing %} — {{ mass.missing }}{% endif %}.</p>{% endif %}
{% if skill_gap %}<p>Skill gap: {{ skill_gap | join("; ") }}.</p>{% endif %}
<p class="small muted">Source: {{ source or "not recorded" }}; data version
  {{ data_version or "not recorded" }}.</p>
</section>

<section>
<h2>Skills of the region's companies</h2>
{% if skills %}
<p>ESCO skill groups held by the {{ skills_n }} registered firms of {{ home }} (a firm counts
  once per group). The TA's skill gap above is computed against this registry.</p>
<table><tr><th>skill group</th><th>level</th><th>firms</th><th>share of firms</th>
  <th>skills</th></tr>
{% for g in skills %}<tr><td>{{ g.label }}</td><td class="num">{{ g.level }}</td>
  <td class="num">{{ g.n_actors }}</td><td class="num">{{ "%.0f" | format(100 * g.share_actors) }} %</td>
  <td>{{ g.skills | join("; ") }}</td></tr>{% endfor %}
</table>
{% if skills_inferred %}<p class="small muted">{{ skills_inferred }}</p>{% endif %}
{% else %}<p class="muted">No firm of the registry lists ESCO skills yet.</p>{% endif %}
</section>

<section>
<h2>Consortium</h2>
{% for c in consortia %}
<h3>{{ c.name }}{% if c.coverage is not none %} — coverage {{ "%.0f" | format(100 * c.coverage) }} %{% endif %}</h3>
<table><tr><th>member</th><th>role</th><th>type</th><th>region</th><th>size</th></tr>
{% for m in c.members %}<tr><td>{{ m.name }}</td><td>{{ m.role }}</td>
  <td>{{ m.actor_type | replace("_", " ") }}</td><td>{{ m.region }}</td>
  <td class="num">{{ m.size if m.size is not none else "" }}</td></tr>{% endfor %}
</table>
{% if c.notes %}<p>{{ c.notes }}</p>{% endif %}
{% else %}<p class="muted">No consortium recorded yet.</p>{% endfor %}
</section>

<section>
<h2>Actions</h2>
<table><tr><th>#</th><th>action</th><th>status</th><th>lead</th><th>start</th><th>end</th>
  <th>budget</th><th>committed</th><th>spent</th></tr>
{% for a in actions %}<tr><td>{{ loop.index }}</td><td>{{ a.title }}</td><td>{{ a.status }}</td>
  <td>{{ a.owner or a.lead_type or "" }}</td><td>{{ a.start or "" }}</td><td>{{ a.end or "" }}</td>
  <td class="num">{{ "{:,.0f}".format(a.budget) }}</td>
  <td class="num">{{ "{:,.0f}".format(a.committed) }}</td>
  <td class="num">{{ "{:,.0f}".format(a.spent) }}</td></tr>{% endfor %}
</table>
{% for a in actions %}
<div class="action">
  <h3>{{ loop.index }}. {{ a.title }} <span class="status">{{ a.status | replace("_", " ") }}</span></h3>
  <div class="small muted">{{ a.action_type | replace("_", " ") }}{% if a.phase %} · phase {{ a.phase }}{% endif %}
    {% if a.regions %} · regions {{ a.regions | join(", ") }}{% endif %}
    {% if a.deadline %} · deadline {{ a.deadline }}{% endif %}</div>
  {% if a.description %}<p>{{ a.description }}</p>{% endif %}
  <p><strong>Why:</strong> {{ a.rationale or "(no rationale recorded)" }}</p>
  <p><strong>Lead:</strong> {{ a.owner or ("to be recruited: " ~ (a.lead_type or "any") | replace("_", " ")) }}
    {% if a.participants %}· <strong>participants:</strong> {{ a.participants | join(", ") }}{% endif %}</p>
  {% if a.milestones %}<p><strong>Milestones:</strong>
    {% for m in a.milestones %}{{ m.title }}{% if m.due %} ({{ m.due }}){% endif %}{% if not loop.last %}; {% endif %}{% endfor %}</p>{% endif %}
  {% if a.indicators %}<p><strong>Indicators:</strong> {{ a.indicators | join("; ") }}</p>{% endif %}
  {% if a.funding %}<p><strong>Funding:</strong></p><ul>
    {% for f in a.funding %}<li>{{ f.name }}{% if f.cofunding_rate is not none %}
      (co-funding {{ "%.0f" | format(100 * f.cofunding_rate) }} %){% endif %}
      <span class="small muted">— {{ f.reasons | join("; ") }}{% if f.caveats %}; caveats:
      {{ f.caveats | join("; ") }}{% endif %}</span></li>{% endfor %}</ul>{% endif %}
  {% if a.practices %}<p><strong>Good practices:</strong></p><ul>
    {% for p in a.practices %}<li>{{ p.title }} <span class="small muted">({{ p.source }}) —
      {{ p.reasons | join("; ") }}</span></li>{% endfor %}</ul>{% endif %}
  {% if a.notes %}<p><strong>Notes:</strong> {{ a.notes }}</p>{% endif %}
  {% if a.attachments %}<p class="small"><strong>Attachments:</strong>
    {% for f in a.attachments %}{{ f.name }}{% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
</div>
{% else %}<p class="muted">No actions yet.</p>{% endfor %}
</section>
<footer>Generated by smartspec {{ version }}. Evidence: {{ source or "not recorded" }}.
  Funding facts are from the workspace's catalogue: check each call's current rules.</footer>
</main></body></html>
"""

_EVIDENCE_KEYS = ("rank", "score", "feasibility", "value", "advantage", "momentum",
                  "transformative_potential", "capability_gap", "density", "pci", "rca",
                  "employment", "quadrant")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return "" if value is None else str(value)


def strategy_context(session: Session, workspace: Workspace | str | int,
                     ta: SelectedTA | str | int, *, n_funding: int = 3,
                     n_practices: int = 2) -> dict[str, Any]:
    """Everything the strategy document shows, as plain values."""
    from smartspec import __version__
    from smartspec.implementation.good_practices import recommend_practices, region_types
    from smartspec.strategy.funding import match_funding

    ws = svc.get_workspace(session, workspace)
    record = svc.get_ta(session, ws, ta)
    home = ws.home_region or ""
    actors = {a.id: a for a in svc.list_actors(session, ws)}
    snapshot = record.evidence_snapshot or {}
    candidate = snapshot.get("candidate") or {}
    consortia = svc.list_consortia(session, ws, ta=record)
    members = [svc.actor_to_domain(actors[m.actor_id]) for m in consortia[-1].members] \
        if consortia else []
    catalogue = [svc.instrument_to_domain(i) for i in svc.list_funding_instruments(session, ws)]
    kinds = region_types(home) if home else ()
    actions = []
    for action in svc.list_actions(session, ws, ta=record):
        domain = svc.action_to_domain(action)
        participants = [actors[i] for i in action.participant_ids]
        funding = []
        if catalogue:
            team = members or [svc.actor_to_domain(a) for a in participants]
            matches = match_funding(domain, team or None, home or None, catalogue=catalogue)
            funding = svc._json_safe(matches.head(n_funding).to_dict("records"))
        practices = [{"title": r.practice.title, "source": r.practice.source,
                      "reasons": list(r.reasons)}
                     for r in recommend_practices(domain, record.mode, kinds or None,
                                                  limit=n_practices)]
        actions.append({
            "title": action.title, "action_type": action.action_type, "status": action.status,
            "phase": action.phase, "description": action.description,
            "rationale": action.rationale,
            "owner": action.owner.name if action.owner else None,
            "lead_type": action.lead_actor_type,
            "participants": [p.name for p in participants], "regions": action.regions,
            "start": action.start, "end": action.end, "deadline": action.deadline,
            "budget": action.budget, "committed": action.committed, "spent": action.spent,
            "milestones": action.milestones, "indicators": action.indicators,
            "notes": action.notes, "attachments": action.attachments,
            "funding": funding, "practices": practices})
    involved = {actors[i] for c in consortia for i in (m.actor_id for m in c.members)}
    involved |= {a.owner for a in svc.list_actions(session, ws, ta=record) if a.owner}
    fictional = sum(1 for a in involved if a.fictional)
    return {
        "version": __version__, "today": dt.date.today().isoformat(), "ws": ws, "ta": record,
        "home": home, "partners": [r.code for r in ws.regions if r.role == "partner"],
        "candidate": candidate,
        "evidence": [(k, _fmt(candidate[k])) for k in _EVIDENCE_KEYS if k in candidate],
        "mass": snapshot.get("critical_mass"), "skill_gap": _skill_labels(
            snapshot.get("skill_gap") or []),
        "source": snapshot.get("source"), "data_version": snapshot.get("data_version"),
        "consortia": [{"name": c.name, "coverage": c.coverage, "notes": c.notes,
                       "members": [{"name": actors[m.actor_id].name, "role": m.role,
                                    "actor_type": actors[m.actor_id].actor_type,
                                    "region": actors[m.actor_id].region,
                                    "size": actors[m.actor_id].size} for m in c.members]}
                      for c in consortia],
        "actions": actions, "fictional": fictional,
        **_skills_context(list(actors.values()), home),
    }


def _skills_context(actors: list, home: str, limit: int = 12) -> dict:
    """The registry's firms' ESCO skills by skill group (levels 1-2), for the document."""
    from smartspec.strategy.matching import region_skill_profile

    firms = [svc.actor_to_domain(a) for a in actors]
    prof = region_skill_profile(firms, region=home or None)
    if prof.empty:
        return {"skills": [], "skills_n": 0, "skills_inferred": ""}
    top = prof[prof["level"] >= 1].sort_values(["n_actors", "level"], ascending=[False, True])
    rows = [{"label": r.label, "level": int(r.level), "n_actors": int(r.n_actors),
             "share_actors": float(r.share_actors), "skills": list(r.skills)[:6]}
            for r in top.head(limit).itertuples()]
    inferred = float((prof["inferred"] > 0).mean()) if "inferred" in prof else 0.0
    note = (f"{inferred:.0%} of the groups hold skills placed by text similarity (the shipped "
            "ESCO data has no skill-to-group links); see "
            "smartspec.strategy.matching.assign_skill_groups.") if inferred else ""
    return {"skills": rows, "skills_n": int(prof.attrs.get("n_actors", 0)),
            "skills_inferred": note}


def _skill_labels(skills: list[str]) -> list[str]:
    try:
        from smartspec.strategy.matching import skill_label
    except ImportError:  # pragma: no cover
        return list(skills)
    return [skill_label(s) for s in skills]


def render_strategy_html(context: dict[str, Any]) -> str:
    """The HTML page of :func:`strategy_context` (every value escaped)."""
    from jinja2 import Environment

    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(TEMPLATE).render(**context)


def write_strategy(session: Session, workspace: Workspace | str | int,
                   ta: SelectedTA | str | int, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``strategy-<workspace>-<TA>.html`` into ``out_dir``; return its path."""
    context = strategy_context(session, workspace, ta)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"strategy-{context['ws'].slug}-"
                  f"{context['ta'].activity}")
    path = out / f"{stem}.html"
    path.write_text(render_strategy_html(context), encoding="utf-8")
    return path
