"""Output indicators of a TA derived from its implementation (actions and consortium).

All functions are pure: they take the domain objects (:class:`smartspec.strategy.actions.
Action`, the consortium's actors) and return numbers. Definitions:

``actions_completed``
    actions with status ``done``;
``consortium_size``
    members of the TA's most recent consortium (0 without one);
``projects_funded``
    actions that are not cancelled and have committed funding (``committed > 0``);
``budget_committed``
    sum of ``committed`` over the actions that are not cancelled (EUR);
``budget_spent``
    sum of ``spent`` over all actions, cancelled ones included: money spent stays spent (EUR);
``partners_engaged``
    distinct actors that own or take part in an action that is ``in_progress`` or ``done``
    (planned actions have not engaged anyone yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from smartspec.strategy.actors import HELIX

__all__ = ["OUTPUT_MEASURES", "helix_types", "output_values"]

#: The output measures, in display order (the keys of the output indicators).
OUTPUT_MEASURES: tuple[str, ...] = ("actions_completed", "consortium_size", "projects_funded",
                                    "budget_committed", "budget_spent", "partners_engaged")


def output_values(actions: Iterable[Any], consortium_members: Sequence[Any] | None = None
                  ) -> dict[str, float]:
    """The output indicators of one TA from its actions and consortium.

    Parameters
    ----------
    actions : the TA's actions (objects with ``status``, ``committed``, ``spent``, ``owner``,
        ``participants``, e.g. :class:`smartspec.strategy.actions.Action`).
    consortium_members : the members of the TA's most recent consortium (any objects), or
        None when it has none.

    Returns
    -------
    dict
        :data:`OUTPUT_MEASURES` -> value (floats).
    """
    items = list(actions)
    live = [a for a in items if a.status != "cancelled"]
    engaged: set[Any] = set()
    for a in items:
        if a.status in ("in_progress", "done"):
            if a.owner is not None:
                engaged.add(a.owner)
            engaged.update(a.participants or ())
    return {
        "actions_completed": float(sum(1 for a in items if a.status == "done")),
        "consortium_size": float(len(consortium_members or ())),
        "projects_funded": float(sum(1 for a in live if float(a.committed or 0) > 0)),
        "budget_committed": float(sum(float(a.committed or 0) for a in live)),
        "budget_spent": float(sum(float(a.spent or 0) for a in items)),
        "partners_engaged": float(len(engaged)),
    }


def helix_types(actor_types: Iterable[str], mapping: Mapping[str, str] = HELIX) -> frozenset[str]:
    """The quadruple-helix types covered by actors of the given actor types.

    Raises
    ------
    ValueError
        An actor type unknown to ``mapping``.
    """
    out = set()
    for t in actor_types:
        if t not in mapping:
            raise ValueError(f"unknown actor type {t!r}; known: {', '.join(sorted(mapping))}")
        out.add(mapping[t])
    return frozenset(out)
