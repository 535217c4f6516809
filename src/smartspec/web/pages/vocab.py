"""Translatable names of the platform's vocabularies (roles, statuses, types, modes).

The values themselves are stored in English identifiers (``"in_progress"``); the pages show
them through ``_(label(value))``. The :func:`~smartspec.web.i18n.N_` markers put every name in
the message catalogue.
"""

from __future__ import annotations

from smartspec.web.i18n import N_

__all__ = ["VOCABULARY", "label"]

VOCABULARY: dict[str, str] = {
    # roles
    "viewer": N_("viewer"), "stakeholder": N_("stakeholder"), "analyst": N_("analyst"),
    "owner": N_("owner"),
    # action statuses
    "planned": N_("planned"), "in_progress": N_("in progress"), "done": N_("done"),
    "cancelled": N_("cancelled"), "on_hold": N_("on hold"),
    # action types
    "consortium_creation": N_("consortium creation"),
    "collaborative_rnd": N_("collaborative R&D project"),
    "funding_search": N_("funding search"), "skills_training": N_("skills and training"),
    "pilot_testbed": N_("pilot, test-bed and demonstration"),
    "investment_attraction": N_("investment or firm attraction"),
    "interregional_partnership": N_("interregional partnership"),
    "cluster_service": N_("cluster service"),
    "regulatory_standards": N_("regulatory or standards work"),
    # actor types and helices
    "firm": N_("firm"), "university": N_("university"),
    "research_organisation": N_("research organisation"),
    "cluster_organisation": N_("cluster organisation"),
    "public_authority": N_("public authority"), "civil_society": N_("civil society"),
    "finance": N_("finance"), "industry": N_("industry"), "academia": N_("academia"),
    "government": N_("government"),
    # Foray modes
    "modernisation": N_("modernisation"), "transition": N_("transition"),
    "diversification": N_("diversification"), "radical_foundation": N_("radical foundation"),
    "radical foundation": N_("radical foundation"),
    # TA statuses, workshop kinds and states, indicator kinds
    "selected": N_("selected"), "candidate": N_("candidate"), "dropped": N_("dropped"),
    "edw": N_("discovery workshop (EDW)"), "adw": N_("action development workshop (ADW)"),
    "open": N_("open"), "closed": N_("closed"),
    "context": N_("context"), "output": N_("output"), "result": N_("result"),
    # traffic lights
    "green": N_("green"), "amber": N_("amber"), "red": N_("red"), "unknown": N_("unknown"),
    "higher": N_("higher is better"), "lower": N_("lower is better"),
}


def label(value: object) -> str:
    """The English display name of a vocabulary value (the value itself when unknown)."""
    key = "" if value is None else str(value)
    return VOCABULARY.get(key, key.replace("_", " "))
