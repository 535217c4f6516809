"""Timeline (Gantt-like) view of a strategy's actions, as a Plotly figure.

:func:`timeline_frame` computes the table behind the chart (one bar per dated action, plus
deadline and milestone markers); :func:`timeline_figure` draws it with ``plotly.express.timeline``.
Actions without a start date cannot be placed and are listed in ``frame.attrs["undated"]``; an
action with a start but no end is drawn up to its deadline, or for the typical duration of its
type (flagged ``end_estimated``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from smartspec.strategy.actions import ACTION_CATALOGUE, ACTION_STATUSES, Action, add_months

__all__ = ["STATUS_COLOURS", "timeline_figure", "timeline_frame"]

#: Colour of each status in the timeline (colour-blind safe Okabe-Ito palette).
STATUS_COLOURS: dict[str, str] = {
    "planned": "#56B4E9",
    "in_progress": "#E69F00",
    "done": "#009E73",
    "cancelled": "#999999",
    "on_hold": "#CC79A7",
}


def timeline_frame(actions: Iterable[Action]) -> pd.DataFrame:
    """The data of the timeline: one row per action with a start date.

    Returns
    -------
    pandas.DataFrame
        Columns ``task`` (title, made unique), ``action_type``, ``status``, ``phase``,
        ``start``, ``finish`` (timestamps), ``end_estimated`` (bool), ``deadline`` (timestamp
        or NaT), ``overdue`` (not final and the deadline/finish has passed),
        ``milestones`` (list of ``(title, timestamp)``), ``id``. Sorted by phase, start, task.
        ``attrs["undated"]`` lists the titles of actions without a start date.
    """
    rows = []
    undated = []
    seen: dict[str, int] = {}
    today = dt.date.today()
    for a in actions:
        if a.start is None:
            undated.append(a.title)
            continue
        finish = a.end
        estimated = False
        if finish is None:
            estimated = True
            entry = ACTION_CATALOGUE.get(a.action_type)
            if a.deadline is not None:
                finish = a.deadline
            else:
                finish = add_months(a.start, entry.typical_duration_months if entry else 6)
        task = a.title
        if task in seen:
            seen[task] += 1
            task = f"{task} ({seen[task]})"
        else:
            seen[task] = 1
        due = a.deadline or finish
        rows.append({
            "task": task,
            "action_type": a.action_type,
            "status": a.status,
            "phase": a.phase,
            "start": pd.Timestamp(a.start),
            "finish": pd.Timestamp(finish),
            "end_estimated": estimated,
            "deadline": pd.Timestamp(a.deadline) if a.deadline else pd.NaT,
            "overdue": a.status not in ("done", "cancelled") and due < today,
            "milestones": [(m.get("title", ""), pd.Timestamp(m["due"]))
                           for m in a.milestones if m.get("due") is not None],
            "id": a.id,
        })
    columns = ["task", "action_type", "status", "phase", "start", "finish", "end_estimated",
               "deadline", "overdue", "milestones", "id"]
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        frame["_phase"] = frame["phase"].fillna(99)
        frame = frame.sort_values(["_phase", "start", "task"], kind="stable")
        frame = frame.drop(columns="_phase").reset_index(drop=True)
    frame.attrs["undated"] = undated
    return frame


def timeline_figure(actions: Iterable[Action], *, title: str | None = None,
                    color: str = "status", show_milestones: bool = True):
    """A Gantt-like Plotly figure of the actions.

    Bars run from start to finish (:func:`timeline_frame`), coloured by ``status`` (with
    :data:`STATUS_COLOURS`) or ``action_type``; deadlines are drawn as red diamonds and
    milestones as black markers. Estimated ends are marked in the hover text.

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig.data[i]`` for the bars carry the tasks in ``y``; the figure's
        ``layout.meta["undated"]`` lists actions left out for lack of a start date.
    """
    import plotly.express as px
    import plotly.graph_objects as go

    if color not in ("status", "action_type"):
        raise ValueError(f"color must be 'status' or 'action_type', got {color!r}")
    frame = timeline_frame(actions)
    undated = frame.attrs.get("undated", [])
    if frame.empty:
        fig = go.Figure()
        fig.update_layout(title=title or "Timeline", meta={"undated": undated},
                          annotations=[{"text": "no dated actions", "showarrow": False,
                                        "xref": "paper", "yref": "paper", "x": 0.5,
                                        "y": 0.5}])
        return fig
    plot = frame.assign(end=frame["end_estimated"].map({True: "estimated", False: "planned"}))
    kwargs = {}
    if color == "status":
        kwargs["color_discrete_map"] = STATUS_COLOURS
        kwargs["category_orders"] = {"status": list(ACTION_STATUSES)}
    fig = px.timeline(plot, x_start="start", x_end="finish", y="task", color=color,
                      hover_data={"action_type": True, "status": True, "end": True,
                                  "phase": True}, title=title or "Timeline of actions",
                      **kwargs)
    fig.update_yaxes(autorange="reversed", title=None)
    deadlines = frame.dropna(subset=["deadline"])
    if not deadlines.empty:
        fig.add_trace(go.Scatter(x=deadlines["deadline"], y=deadlines["task"], mode="markers",
                                 name="deadline", marker={"symbol": "diamond", "size": 10,
                                                          "color": "#D55E00"},
                                 hovertemplate="deadline %{x|%Y-%m-%d}<extra></extra>"))
    if show_milestones:
        ms = [(task, name, due) for task, items in zip(frame["task"], frame["milestones"],
                                                       strict=True) for name, due in items]
        if ms:
            fig.add_trace(go.Scatter(x=[m[2] for m in ms], y=[m[0] for m in ms],
                                     mode="markers", name="milestone",
                                     text=[m[1] for m in ms],
                                     marker={"symbol": "triangle-up", "size": 9,
                                             "color": "#000000"},
                                     hovertemplate="%{text}<br>%{x|%Y-%m-%d}<extra></extra>"))
    fig.update_layout(meta={"undated": undated}, legend_title_text=None)
    return fig
