r"""Consortium builder: choose the actors of a TA's consortium by mixed-integer linear programming.

Model
-----
Candidates :math:`i = 1..n` (binary :math:`x_i`: selected), required capabilities
:math:`c = 1..m` with weights :math:`w_c > 0` (continuous :math:`y_c \in [0, 1]`: covered), and
:math:`a_{ic} \in \{0, 1\}` = actor :math:`i` holds capability :math:`c`:

.. math::

    \max_{x, y} \; & \sum_c w_c y_c \\
    \text{s.t.}\; & y_c \le \sum_i a_{ic} x_i                 && \text{(coverage)} \\
    & s_{\min} \le \sum_i x_i \le s_{\max}                     && \text{(size)} \\
    & \sum_{i \in H_h} x_i \ge 1 \quad \forall h \in \text{required helices} && \text{(helix)} \\
    & \sum_{i \notin \text{home}} x_i \le N                    && \text{(external actors)} \\
    & x_i = 0 \quad \forall i \text{ outside the home and partner regions} && \text{(regions)} \\
    & \sum_i \text{cost}_i\, x_i \le B                          && \text{(budget)} \\
    & \sum_i \text{capacity}_i\, x_i \ge K                      && \text{(capacity)}

At the optimum :math:`y_c = 1` exactly when some selected actor holds :math:`c`, so the objective
is the total weight of the covered capabilities. Among optimal consortia a second solve picks
the one with the fewest members (preferring higher ``scores`` when given, then lower cost):
it minimises :math:`\sum_i (1 - \tfrac12 s_i) x_i + 10^{-2} \sum_i \text{cost}_i x_i /
(1 + \sum_j \text{cost}_j)` subject to the optimal coverage.

Both problems are solved with HiGHS through :func:`scipy.optimize.milp`. When no consortium is
feasible, :class:`ConsortiumInfeasible` names the constraint(s) responsible: explicit counts
(eligible actors per helix, selectable actors against the size minimum, the cheapest feasible
consortium against the budget, the largest reachable capacity) and, in general, the constraint
groups whose removal alone makes the problem feasible.

A capability is held by an actor when it equals (or, for NACE codes, contains) one of the
actor's activities, is one of its skills (ESCO URI or label, case-insensitive) or one of its
technologies (case-insensitive); pass ``coverage`` to supply :math:`a_{ic}` directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from smartspec.strategy.actors import HELIX_TYPES, Actor, normalise_nace, validate_actors

__all__ = ["ConsortiumInfeasible", "ConsortiumResult", "build_consortium", "coverage_matrix"]


class ConsortiumInfeasible(ValueError):
    """No consortium satisfies the constraints.

    Attributes
    ----------
    reasons : list of str
        Human explanations (which constraint, with the counts behind it).
    constraints : list of str
        Constraint groups whose removal alone makes the problem feasible (``"size_min"``,
        ``"size_max"``, ``"helix:<name>"``, ``"max_external"``, ``"regions"``, ``"budget"``,
        ``"min_capacity"``); empty when only a combination is to blame.
    """

    def __init__(self, reasons: Sequence[str], constraints: Sequence[str]) -> None:
        self.reasons = list(reasons)
        self.constraints = list(constraints)
        super().__init__("no feasible consortium: " + "; ".join(self.reasons))


@dataclass
class ConsortiumResult:
    """The chosen consortium.

    Attributes
    ----------
    members : the selected actors.
    coverage : weighted share of the required capabilities covered, in [0, 1].
    covered : capability -> covered (bool), in the order of the requirements.
    objective : total weight of the covered capabilities.
    status : ``"optimal"`` or ``"time_limit"`` (best consortium found within the time limit).
    total_cost : sum of the members' costs (None without costs).
    total_capacity : sum of the members' capacities (None without capacities).
    by_helix : number of members per helix.
    external : members from outside the home region.
    """

    members: list[Actor]
    coverage: float
    covered: dict[str, bool]
    objective: float
    status: str
    total_cost: float | None = None
    total_capacity: float | None = None
    by_helix: dict[str, int] = field(default_factory=dict)
    external: list[Actor] = field(default_factory=list)

    @property
    def uncovered(self) -> list[str]:
        """Required capabilities no member holds."""
        return [c for c, ok in self.covered.items() if not ok]


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
def _text_key(c: str) -> str:
    text = str(c).strip()
    if text.startswith(("http://", "https://")):
        return text
    return " ".join(text.split()).casefold()


def coverage_matrix(actors: Sequence[Actor], capabilities: Iterable[str]) -> pd.DataFrame:
    """:math:`a_{ic}`: 1 when actor ``i`` holds capability ``c`` (see the module docstring).

    A capability that is a NACE code (either form) is held by an actor with that activity or
    one inside it (``"C28"`` by ``"C2841"``); any capability is also compared with the actor's
    skills and technologies (case- and space-insensitive; ESCO URIs exactly).
    Rows are the actors in order (index = position), columns the capabilities as given.
    """
    caps = list(capabilities)
    keys = [_text_key(c) for c in caps]
    codes = [normalise_nace(c) if len(str(c).strip()) <= 7 else None for c in caps]
    out = np.zeros((len(actors), len(caps)), dtype=float)
    for i, a in enumerate(actors):
        held = {_text_key(s) for s in a.skills} | {_text_key(t) for t in a.technologies}
        for j, (key, code) in enumerate(zip(keys, codes, strict=True)):
            if key in held or (code is not None
                               and any(act.startswith(code) for act in a.activities)):
                out[i, j] = 1.0
    return pd.DataFrame(out, columns=caps)


def _requirements(requirements: Mapping[str, float] | Iterable[str]) -> dict[str, float]:
    if isinstance(requirements, str):
        raise TypeError("requirements must be a list of capabilities or a mapping "
                        "capability -> weight, not a single string")
    if isinstance(requirements, Mapping):
        items = {str(k): float(v) for k, v in requirements.items()}
    else:
        items = {str(k): 1.0 for k in requirements}
    if not items:
        raise ValueError("requirements is empty: give the capabilities the TA needs")
    bad = {k: v for k, v in items.items() if not math.isfinite(v) or v <= 0}
    if bad:
        raise ValueError(f"capability weights must be positive finite numbers: {bad}")
    return items


def _values(spec: object, actors: Sequence[Actor], frame: pd.DataFrame | None, name: str
            ) -> np.ndarray:
    """Per-actor numbers from a mapping (by name), sequence, callable, attribute or column."""
    n = len(actors)
    if isinstance(spec, str):
        if frame is not None and spec in frame.columns:
            raw = [frame[spec].iloc[i] for i in range(n)]
        elif all(hasattr(a, spec) for a in actors):
            raw = [getattr(a, spec) for a in actors]
        else:
            raise ValueError(f"{name}={spec!r} is neither a column nor an actor attribute")
    elif isinstance(spec, Mapping):
        names = [a.name for a in actors]
        if len(set(names)) != len(names):
            raise ValueError(f"{name} given by name, but candidate names are not unique: pass "
                             "a sequence aligned with the candidates")
        missing = [a.name for a in actors if a.name not in spec]
        if missing:
            raise ValueError(f"{name} missing for {', '.join(missing[:5])}")
        raw = [spec[a.name] for a in actors]
    elif callable(spec):
        raw = [spec(a) for a in actors]
    else:
        raw = list(spec)  # type: ignore[call-overload]
        if len(raw) != n:
            raise ValueError(f"{name} has {len(raw)} values for {n} candidates")
    out = np.array([0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
                    for v in raw])
    if not np.all(np.isfinite(out)) or np.any(out < 0):
        raise ValueError(f"{name} values must be finite and non-negative")
    return out


def _in_any(region: str, codes: Iterable[str]) -> bool:
    return any(region.startswith(c) for c in codes)


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------
@dataclass
class _Model:
    n: int
    m: int
    a: np.ndarray                      # n x m coverage
    w: np.ndarray                      # m weights
    allowed: np.ndarray                # n bools (region eligibility)
    external: np.ndarray               # n bools
    helix: list[str]
    size: tuple[int, int]
    required_helix: tuple[str, ...]
    max_external: int | None
    cost: np.ndarray | None
    budget: float | None
    capacity: np.ndarray | None
    min_capacity: float | None
    time_limit: float

    def constraints(self, drop: frozenset[str] = frozenset()
                    ) -> tuple[list[LinearConstraint], np.ndarray]:
        n, m = self.n, self.m
        cons: list[LinearConstraint] = []
        if m:
            cov = np.hstack([-self.a.T, np.eye(m)])
            cons.append(LinearConstraint(cov, -np.inf, 0.0))
        ones = np.concatenate([np.ones(n), np.zeros(m)])
        low = -np.inf if "size_min" in drop else self.size[0]
        high = np.inf if "size_max" in drop else self.size[1]
        if low > -np.inf or high < np.inf:
            cons.append(LinearConstraint(ones[None, :], low, high))
        for h in self.required_helix:
            if f"helix:{h}" in drop:
                continue
            row = np.concatenate([[1.0 if x == h else 0.0 for x in self.helix], np.zeros(m)])
            cons.append(LinearConstraint(row[None, :], 1.0, np.inf))
        if self.max_external is not None and "max_external" not in drop:
            row = np.concatenate([self.external.astype(float), np.zeros(m)])
            cons.append(LinearConstraint(row[None, :], -np.inf, float(self.max_external)))
        if self.budget is not None and "budget" not in drop:
            row = np.concatenate([self.cost, np.zeros(m)])  # type: ignore[list-item]
            cons.append(LinearConstraint(row[None, :], -np.inf, float(self.budget)))
        if self.min_capacity is not None and "min_capacity" not in drop:
            row = np.concatenate([self.capacity, np.zeros(m)])  # type: ignore[list-item]
            cons.append(LinearConstraint(row[None, :], float(self.min_capacity), np.inf))
        upper = np.concatenate([
            np.ones(n) if "regions" in drop else self.allowed.astype(float), np.ones(m)])
        return cons, upper

    def solve(self, c: np.ndarray, drop: frozenset[str] = frozenset(),
              extra: Sequence[LinearConstraint] = ()):
        cons, upper = self.constraints(drop)
        integrality = np.concatenate([np.ones(self.n), np.zeros(self.m)])
        return milp(c, constraints=[*cons, *extra], integrality=integrality,
                    bounds=Bounds(np.zeros(self.n + self.m), upper),
                    options={"time_limit": self.time_limit, "disp": False})

    def feasible(self, drop: frozenset[str] = frozenset()) -> bool:
        res = self.solve(np.zeros(self.n + self.m), drop)
        return res.x is not None and res.status in (0, 1)

    def groups(self) -> list[str]:
        out = ["size_min", "size_max"]
        out += [f"helix:{h}" for h in self.required_helix]
        if self.max_external is not None:
            out.append("max_external")
        if not self.allowed.all():
            out.append("regions")
        if self.budget is not None:
            out.append("budget")
        if self.min_capacity is not None:
            out.append("min_capacity")
        return out


def _diagnose(model: _Model, home: str | None, partners: Sequence[str] | None) -> None:
    """Raise ConsortiumInfeasible with the reasons."""
    reasons: list[str] = []
    n_allowed = int(model.allowed.sum())
    n_local = int((model.allowed & ~model.external).sum())
    n_ext = int((model.allowed & model.external).sum())
    cap_ext = n_ext if model.max_external is None else min(n_ext, model.max_external)
    selectable = n_local + cap_ext
    if home is None:
        where = "among the candidates"
    else:
        allowed_partners = ("any" if partners is None else ", ".join(partners) or "none")
        where = f"within the allowed regions (home {home}; partners: {allowed_partners})"
    if model.n == 0:
        raise ConsortiumInfeasible(["there are no candidate actors"], ["size_min"])
    if model.size[0] > selectable:
        detail = (f"{n_local} from the home region plus at most {cap_ext} from outside"
                  if model.max_external is not None and n_ext > cap_ext else
                  f"{n_allowed} eligible")
        reasons.append(f"size minimum {model.size[0]} exceeds the {selectable} actors that can "
                       f"be selected ({detail})")
    if len(model.required_helix) > model.size[1]:
        reasons.append(f"size maximum {model.size[1]} is smaller than the "
                       f"{len(model.required_helix)} required helix types")
    for h in model.required_helix:
        of_h = np.array([x == h for x in model.helix])
        if not (of_h & model.allowed).any():
            outside = int((of_h & ~model.allowed).sum())
            reasons.append(f"no actor of helix '{h}' is available {where}" +
                           (f" ({outside} outside them)" if outside else ""))
        elif (model.max_external == 0 and not (of_h & model.allowed & ~model.external).any()):
            reasons.append(f"actors of helix '{h}' exist only outside the home region, but "
                           "max_external is 0")
    if model.budget is not None and model.feasible(frozenset({"budget"})):
        res = model.solve(np.concatenate([model.cost, np.zeros(model.m)]),  # type: ignore[list-item]
                          frozenset({"budget"}))
        if res.x is not None and res.fun > model.budget + 1e-9:
            reasons.append(f"budget {model.budget:,.0f} is below the cheapest consortium that "
                           f"meets the other constraints ({res.fun:,.0f})")
    if model.min_capacity is not None and model.feasible(frozenset({"min_capacity"})):
        res = model.solve(-np.concatenate([model.capacity, np.zeros(model.m)]),  # type: ignore[list-item]
                          frozenset({"min_capacity"}))
        if res.x is not None and -res.fun < model.min_capacity - 1e-9:
            reasons.append(f"minimum capacity {model.min_capacity:,.0f} exceeds the largest "
                           f"capacity a consortium meeting the other constraints can reach "
                           f"({-res.fun:,.0f})")
    culprits = [g for g in model.groups() if model.feasible(frozenset({g}))]
    if not reasons:
        if culprits:
            reasons.append("the constraints cannot all hold together; dropping any one of "
                           f"{', '.join(culprits)} would make a consortium possible")
        else:
            reasons.append("no single constraint is to blame: the combination of "
                           f"{', '.join(model.groups())} is infeasible")
    raise ConsortiumInfeasible(reasons, culprits)


def build_consortium(candidates: Sequence[Actor] | pd.DataFrame,
                     requirements: Mapping[str, float] | Iterable[str], *,
                     size: tuple[int, int] = (3, 8),
                     required_helix: Sequence[str] = ("industry", "academia", "government"),
                     max_external: int | None = None,
                     home_region: str | None = None,
                     partner_regions: Sequence[str] | None = None,
                     budget: float | None = None,
                     cost: object = None,
                     capacity: object = None,
                     min_capacity: float | None = None,
                     scores: object = None,
                     coverage: pd.DataFrame | np.ndarray | None = None,
                     time_limit: float = 30.0) -> ConsortiumResult:
    """Choose the consortium that best covers the TA's required capabilities (MILP, HiGHS).

    Parameters
    ----------
    candidates : list of Actor or actors DataFrame
        (A DataFrame may carry extra columns named by ``cost``/``capacity``/``scores``.)
    requirements : capabilities (NACE codes, ESCO skill URIs or labels, technologies), as a
        list (weight 1 each) or a mapping capability -> positive weight.
    size : (min, max) number of members, 1 <= min <= max.
    required_helix : helices (:data:`~smartspec.strategy.actors.HELIX_TYPES`) that need at
        least one member.
    max_external : at most this many members from outside ``home_region`` (None = no limit).
    home_region : NUTS code (prefix match: ``"AT31"`` includes ``"AT312"``). None = no region
        constraint.
    partner_regions : regions from which external members may come (prefix match; None = any).
    budget, cost : total cost limit and per-actor costs (mapping by name, sequence, callable,
        actor attribute or DataFrame column name).
    capacity, min_capacity : per-actor capacity (default: ``size``, persons employed) and the
        minimum total the consortium must bring.
    scores : per-actor preference in [0, 1] (e.g. :func:`match_actors` scores) used only to
        break ties between optimal consortia.
    coverage : n x m 0/1 matrix :math:`a_{ic}` in the order of candidates and requirements
        (default :func:`coverage_matrix`).
    time_limit : seconds per solve.

    Returns
    -------
    ConsortiumResult

    Raises
    ------
    ConsortiumInfeasible
        When no consortium satisfies the constraints, naming the constraint(s) responsible.
    ValueError
        For invalid parameters.
    """
    frame = candidates if isinstance(candidates, pd.DataFrame) else None
    actors = (validate_actors(candidates, origin="candidates") if frame is not None
              else list(candidates))
    for a in actors:
        if not isinstance(a, Actor):
            raise TypeError(f"candidates must be Actor records, got {type(a).__name__}")
    reqs = _requirements(requirements)
    try:
        smin, smax = (int(size[0]), int(size[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"size must be a (min, max) pair of integers, got {size!r}") from exc
    if not 1 <= smin <= smax:
        raise ValueError(f"size must satisfy 1 <= min <= max, got {size!r}")
    bad = [h for h in required_helix if h not in HELIX_TYPES]
    if bad:
        raise ValueError(f"unknown helix {bad}; helices are {', '.join(HELIX_TYPES)}")
    if max_external is not None and (int(max_external) != max_external or max_external < 0):
        raise ValueError(f"max_external must be a non-negative integer, got {max_external!r}")
    if budget is not None:
        if cost is None:
            raise ValueError("a budget needs per-actor costs (cost=...)")
        if not math.isfinite(float(budget)) or budget < 0:
            raise ValueError(f"budget cannot be below zero, got {budget}")
    if min_capacity is not None and (not math.isfinite(float(min_capacity)) or min_capacity < 0):
        raise ValueError(f"min_capacity must be a non-negative number, got {min_capacity}")
    if max_external is not None and home_region is None:
        raise ValueError("max_external needs home_region")

    n, caps = len(actors), list(reqs)
    if coverage is None:
        a_mat = coverage_matrix(actors, caps).to_numpy()
    else:
        a_mat = np.asarray(coverage, dtype=float)
        if a_mat.shape != (n, len(caps)):
            raise ValueError(f"coverage must have shape {(n, len(caps))}, got {a_mat.shape}")
        if not np.isin(a_mat, (0.0, 1.0)).all():
            raise ValueError("coverage must hold 0/1 values")
    home = None if home_region is None else str(home_region).upper()
    partners = None if partner_regions is None else [str(p).upper() for p in partner_regions]
    if home is None:
        external = np.zeros(n, dtype=bool)
        allowed = np.ones(n, dtype=bool)
    else:
        external = np.array([not a.region.startswith(home) for a in actors], dtype=bool)
        allowed = np.array([not ext or partners is None or _in_any(a.region, partners)
                            for a, ext in zip(actors, external, strict=True)], dtype=bool)
    cost_v = None if cost is None else _values(cost, actors, frame, "cost")
    cap_v = None
    if min_capacity is not None:
        cap_v = _values(capacity if capacity is not None else "size", actors, frame, "capacity")
    elif capacity is not None:
        cap_v = _values(capacity, actors, frame, "capacity")
    score_v = np.zeros(n) if scores is None else _values(scores, actors, frame, "scores")
    if np.any(score_v > 1):
        raise ValueError("scores must lie in [0, 1]")

    model = _Model(n=n, m=len(caps), a=a_mat, w=np.array([reqs[c] for c in caps]),
                   allowed=allowed, external=external, helix=[a.helix for a in actors],
                   size=(smin, smax), required_helix=tuple(dict.fromkeys(required_helix)),
                   max_external=None if max_external is None else int(max_external),
                   cost=cost_v, budget=None if budget is None else float(budget),
                   capacity=cap_v, min_capacity=None if min_capacity is None
                   else float(min_capacity), time_limit=float(time_limit))
    if n == 0:
        _diagnose(model, home, partners)
    c1 = np.concatenate([np.zeros(n), -model.w])
    first = model.solve(c1)
    if first.x is None:
        if first.status == 2:
            _diagnose(model, home, partners)
        raise RuntimeError(f"the MILP solver stopped without a solution: {first.message}")
    best = -float(first.fun)
    status = "optimal" if first.status == 0 else "time_limit"
    # second stage: fewest members (higher scores, lower cost) among optimal consortia
    tie = np.ones(n) - 0.5 * score_v
    if cost_v is not None:
        tie = tie + 1e-2 * cost_v / (1.0 + cost_v.sum())
    keep = LinearConstraint(np.concatenate([np.zeros(n), model.w])[None, :],
                            best - 1e-7 * max(1.0, abs(best)), np.inf)
    second = model.solve(np.concatenate([tie, np.zeros(model.m)]), extra=[keep])
    x = (second.x if second.x is not None else first.x)[:n]
    if second.x is not None and second.status != 0:
        status = "time_limit"
    chosen = [i for i in range(n) if x[i] > 0.5]
    covered_mask = a_mat[chosen].sum(axis=0) > 0 if chosen else np.zeros(len(caps), bool)
    objective = float(model.w[covered_mask].sum())
    by_helix = {h: 0 for h in HELIX_TYPES}
    for i in chosen:
        by_helix[actors[i].helix] += 1
    return ConsortiumResult(
        members=[actors[i] for i in chosen],
        coverage=objective / float(model.w.sum()),
        covered={c: bool(ok) for c, ok in zip(caps, covered_mask, strict=True)},
        objective=objective,
        status=status,
        total_cost=None if cost_v is None else float(cost_v[chosen].sum()),
        total_capacity=None if cap_v is None else float(cap_v[chosen].sum()),
        by_helix=by_helix,
        external=[actors[i] for i in chosen if external[i]],
    )

