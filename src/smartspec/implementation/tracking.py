"""Action tracking: validation of action records, the status workflow and progress summaries.

All functions are pure: they take :class:`~smartspec.strategy.actions.Action` records and return
new records or tables; persisting them is the job of :mod:`smartspec.store`.

Rules checked by :func:`validate_action` (errors, raised together as one
:class:`ActionValidationError`):

* the action type is one of :data:`~smartspec.strategy.actions.ACTION_TYPES` and the status one of
  :data:`~smartspec.strategy.actions.ACTION_STATUSES`; the title is not empty;
* dates in order: ``start <= end`` and ``start <= deadline``; every milestone due date is a date;
* money: ``budget``, ``committed`` and ``spent`` are finite numbers ≥ 0;
* regions are NUTS-shaped codes; attachments have a name and a non-negative size.

Warnings (returned, not raised): ``spent > committed``, ``committed > budget``, a deadline
after the end, milestones outside ``[start, end]``, a ``done`` action without an end date, an
``in_progress`` action whose start lies in the future.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence

import pandas as pd

from smartspec.data.panel import Problem
from smartspec.strategy.actions import (
    ACTION_STATUSES,
    ACTION_TYPES,
    Action,
    check_transition,
)

__all__ = [
    "ActionValidationError",
    "actions_frame",
    "progress",
    "transition",
    "validate_action",
]

_NUTS_SHAPE = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")


class ActionValidationError(ValueError):
    """Invalid action record(s); lists every problem (field and value).

    Attributes
    ----------
    problems : tuple of :class:`smartspec.data.panel.Problem` (``column`` holds the field).
    """

    def __init__(self, problems: Sequence[Problem], origin: str | None = None) -> None:
        self.problems = tuple(problems)
        self.origin = origin
        head = f"{origin!r}: " if origin else ""
        lines = [f"{head}{len(self.problems)} problem(s) in the action data:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    @property
    def kinds(self) -> set[str]:
        """Kinds of problem found (e.g. ``{"dates out of order", "negative amount"}``)."""
        return {p.kind for p in self.problems}


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date)


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def validate_action(action: Action, *, origin: str | None = None,
                    row: int | None = None) -> list[str]:
    """Check one action; raise on errors and return the warnings.

    Parameters
    ----------
    action : Action
    origin : str, optional
        Where the record comes from (a file, a form), used in messages.
    row : int, optional
        Row of the record in its file.

    Returns
    -------
    list of str
        Warnings (e.g. more spent than committed).

    Raises
    ------
    ActionValidationError
        Listing every error: unknown type or status, empty title, dates out of order, negative
        or non-finite budget/committed/spent, bad region codes, bad attachments.
    """
    if not isinstance(action, Action):
        raise TypeError(f"expected an Action, got {type(action).__name__}")
    origin = origin or (f"action {action.title!r}" if action.title else None)
    problems: list[Problem] = []

    def add(kind: str, message: str, column: str, value: object = None) -> None:
        problems.append(Problem(kind, message, origin, row, column,
                                None if value is None else str(value)))

    if not str(action.title or "").strip():
        add("missing title", "every action needs a title", "title")
    if action.action_type not in ACTION_TYPES:
        add("unknown action type", f"action type must be one of {', '.join(ACTION_TYPES)}",
            "action_type", action.action_type)
    if action.status not in ACTION_STATUSES:
        add("unknown status", f"status must be one of {', '.join(ACTION_STATUSES)}", "status",
            action.status)

    for name in ("start", "end", "deadline"):
        value = getattr(action, name)
        if value is not None and not _is_date(value):
            add("bad date", "must be a date (YYYY-MM-DD) or empty", name, value)
    start, end, deadline = (getattr(action, n) for n in ("start", "end", "deadline"))
    start = _as_date(start) if _is_date(start) else None
    end = _as_date(end) if _is_date(end) else None
    deadline = _as_date(deadline) if _is_date(deadline) else None
    if start is not None and end is not None and end < start:
        add("dates out of order", f"end {end.isoformat()} is before start "
            f"{start.isoformat()}", "end", end.isoformat())
    if start is not None and deadline is not None and deadline < start:
        add("dates out of order", f"deadline {deadline.isoformat()} is before start "
            f"{start.isoformat()}", "deadline", deadline.isoformat())

    amounts: dict[str, float] = {}
    for name in ("budget", "committed", "spent"):
        value = getattr(action, name)
        try:
            number = float(value)
        except (TypeError, ValueError):
            add("bad amount", "must be a number (EUR)", name, value)
            continue
        if not math.isfinite(number):
            add("bad amount", "must be a finite number (EUR)", name, value)
        elif number < 0:
            add("negative amount", f"{name} cannot be below zero", name, value)
        else:
            amounts[name] = number

    for code in action.regions:
        if not isinstance(code, str) or not _NUTS_SHAPE.match(code):
            add("bad NUTS code", "regions must be NUTS codes such as 'AT31'", "regions", code)
    for i, item in enumerate(action.attachments):
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            add("bad attachment", f"attachment {i + 1} needs a name", "attachments", item)
            continue
        size = item.get("size")
        if size is not None and (not isinstance(size, int | float) or size < 0):
            add("bad attachment", f"attachment {item['name']!r} has an invalid size",
                "attachments", size)
    for i, milestone in enumerate(action.milestones):
        if not isinstance(milestone, dict) or not str(milestone.get("title", "")).strip():
            add("bad milestone", f"milestone {i + 1} needs a title", "milestones", milestone)
        elif milestone.get("due") is not None and not _is_date(milestone["due"]):
            add("bad milestone", f"milestone {milestone['title']!r}: due must be a date",
                "milestones", milestone.get("due"))

    if problems:
        raise ActionValidationError(problems, origin)

    warnings: list[str] = []
    if amounts.get("spent", 0) > amounts.get("committed", 0):
        warnings.append(f"spent ({amounts['spent']:,.0f}) exceeds committed "
                        f"({amounts.get('committed', 0):,.0f})")
    if amounts.get("budget", 0) > 0 and amounts.get("committed", 0) > amounts["budget"]:
        warnings.append(f"committed ({amounts['committed']:,.0f}) exceeds the budget "
                        f"({amounts['budget']:,.0f})")
    if end is not None and deadline is not None and deadline > end:
        warnings.append(f"deadline {deadline.isoformat()} is after the end {end.isoformat()}")
    for milestone in action.milestones:
        due = milestone.get("due")
        if due is None:
            continue
        due = _as_date(due)
        if (start is not None and due < start) or (end is not None and due > end):
            warnings.append(f"milestone {milestone['title']!r} ({due.isoformat()}) lies outside "
                            "the action's dates")
    if action.status == "done" and end is None:
        warnings.append("the action is done but has no end date")
    if action.status == "in_progress" and start is not None and start > dt.date.today():
        warnings.append(f"the action is in progress but starts only on {start.isoformat()}")
    return warnings


def transition(action: Action, new_status: str, *, on: dt.date | None = None) -> Action:
    """Return a copy of ``action`` with its status changed, after checking the workflow.

    Starting an action without a start date sets ``start`` to ``on`` (default today);
    finishing one (``done``) without an end date sets ``end`` likewise.

    Raises
    ------
    smartspec.strategy.actions.InvalidTransition
    """
    check_transition(action.status, new_status)
    day = on or dt.date.today()
    changes: dict[str, object] = {"status": new_status}
    if new_status == "in_progress" and action.start is None:
        changes["start"] = day
    if new_status == "done" and action.end is None:
        changes["end"] = max(day, action.start) if action.start else day
    return dataclasses.replace(action, **changes)


def actions_frame(actions: Iterable[Action]) -> pd.DataFrame:
    """One row per action: title, type, status, dates, money, TA and phase."""
    columns = ["id", "title", "action_type", "status", "ta", "phase", "owner", "start", "end",
               "deadline", "budget", "committed", "spent", "regions"]
    return pd.DataFrame([{c: getattr(a, c) for c in columns} for a in actions], columns=columns)


def progress(actions: Iterable[Action], *, as_of: dt.date | None = None) -> dict[str, object]:
    """Summary of a set of actions: counts by status, money, overdue actions.

    An action is *overdue* when it is not final (done/cancelled) and its deadline (or, failing
    that, its end) is before ``as_of`` (default today).

    Returns
    -------
    dict
        ``n``, ``by_status`` (every status, 0 included), ``share_done`` (done / not cancelled),
        ``budget``, ``committed``, ``spent``, ``spent_share`` (spent / committed, None if
        nothing is committed) and ``overdue`` (titles).
    """
    items = list(actions)
    day = as_of or dt.date.today()
    by_status = {s: 0 for s in ACTION_STATUSES}
    for a in items:
        by_status[a.status] = by_status.get(a.status, 0) + 1
    active = len(items) - by_status.get("cancelled", 0)
    committed = float(sum(a.committed for a in items))
    spent = float(sum(a.spent for a in items))
    overdue = []
    for a in items:
        due = a.deadline or a.end
        if a.status not in ("done", "cancelled") and due is not None and _as_date(due) < day:
            overdue.append(a.title)
    return {
        "n": len(items),
        "by_status": by_status,
        "share_done": by_status.get("done", 0) / active if active else None,
        "budget": float(sum(a.budget for a in items)),
        "committed": committed,
        "spent": spent,
        "spent_share": spent / committed if committed > 0 else None,
        "overdue": overdue,
    }
