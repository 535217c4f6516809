"""Economic complexity: ECI/PCI (eigenvector, method of reflections) and fitness-complexity."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from smartspec.evidence._matrix import Matrix, MissingPolicy, as_labelled, check_binary, zscore

__all__ = ["ComplexityResult", "complexity"]

Method = Literal["eigenvector", "reflections", "fitness"]
_METHODS = ("eigenvector", "reflections", "fitness")

#: Above this size of the smaller side, the eigenvector is found by Lanczos iteration on an
#: implicit operator instead of a dense symmetric eigensolver.
DENSE_EIGEN_MAX = 1500
#: Up to this size the dense eigenproblem goes straight to LAPACK (restricted to one pair).
SMALL_EIGEN_MAX = 200


@dataclass(frozen=True)
class ComplexityResult:
    """Result of :func:`complexity`.

    Attributes
    ----------
    eci : Series over regions
        Economic complexity index (z-score) for ``"eigenvector"`` and ``"reflections"``; the
        fitness :math:`F_r` (mean 1 over the regions kept) for ``"fitness"``. NaN for regions
        with zero diversity.
    pci : Series over activities
        Product (activity) complexity index (z-score), or the complexity :math:`Q_i` (mean 1)
        for ``"fitness"``. NaN for activities with zero ubiquity.
    method, iterations, ddof : the settings used.
    eigenvalue : float or None
        The second-largest eigenvalue of the region (or activity) transition matrix, for
        ``"eigenvector"``. A value of 1 means the network is disconnected.
    """

    eci: pd.Series
    pci: pd.Series
    method: str
    iterations: int | None
    ddof: int | None
    eigenvalue: float | None = None
    excluded_regions: pd.Index = field(default_factory=lambda: pd.Index([]))
    excluded_activities: pd.Index = field(default_factory=lambda: pd.Index([]))

    @property
    def fitness(self) -> pd.Series:
        """Alias of :attr:`eci` (meaningful for ``method="fitness"``)."""
        return self.eci

    def to_frame(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self.eci.to_frame(), self.pci.to_frame()


def _second_eigvec_dense(s: np.ndarray, lead: np.ndarray, v0: np.ndarray | None = None
                         ) -> tuple[np.ndarray, float]:
    """Second eigenpair of a symmetric PSD matrix whose leading eigenpair is (1, ``lead``).

    Small matrices use LAPACK restricted to one eigenpair. Larger ones deflate the known leading
    eigenvector and run Lanczos (ARPACK) on the explicit matrix, which is several times faster
    and can be warm-started with ``v0`` (e.g. the previous year's eigenvector in a panel); if
    ARPACK does not converge, LAPACK is used. ``s`` is overwritten (deflated) in that case.
    """
    n = s.shape[0]
    if n < 2:
        raise ValueError("complexity needs at least two regions and two activities with presence")
    if n <= SMALL_EIGEN_MAX:
        w, v = sla.eigh(s, subset_by_index=[n - 2, n - 2], check_finite=False)
        return v[:, 0], float(w[0])
    lead = lead / np.linalg.norm(lead)
    # deflate in place, a block of rows at a time (no second n x n array): the leading
    # eigenvalue 1 becomes 0, so the second eigenpair of s is the first one of what is left
    for lo in range(0, n, 64):
        s[lo:lo + 64] -= np.outer(lead[lo:lo + 64], lead)
    start = v0 if v0 is not None and v0.shape == (n,) and np.any(v0) else \
        np.random.default_rng(0).standard_normal(n)
    try:
        w, v = spla.eigsh(s, k=1, which="LA", v0=start, tol=1e-14, maxiter=50 * n)
    except spla.ArpackNoConvergence:  # pragma: no cover - rare, tiny spectral gaps
        w, v = sla.eigh(s, subset_by_index=[n - 1, n - 1], check_finite=False)
    return v[:, 0], float(w[0])


def _second_eigvec_lanczos(mm: np.ndarray | sp.csr_array, isd: np.ndarray, isu: np.ndarray,
                           side: str, v0: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Second eigenvector of :math:`AA^T` (side="rows") or :math:`A^TA` (side="cols") without
    forming :math:`A = D^{-1/2} M U^{-1/2}` or the Gram matrix: each operator application is
    two products with :math:`M` and diagonal scalings.

    The leading eigenvector (eigenvalue 1) is known in closed form, :math:`\\sqrt{d}` for the
    region side and :math:`\\sqrt{u}` for the activity side; it is deflated, and the largest
    eigenpair of the remaining operator is found by Lanczos (ARPACK), started from ``v0`` when
    given (e.g. the previous year's eigenvector in a panel).
    """
    mt = mm.T
    if side == "rows":
        n, lead, inner, outer = mm.shape[0], 1.0 / isd, isu * isu, isd
        first, second = mt, mm
    else:
        n, lead, inner, outer = mm.shape[1], 1.0 / isu, isd * isd, isu
        first, second = mm, mt
    lead = lead / np.linalg.norm(lead)

    def matvec(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x).ravel()
        x = x - lead * (lead @ x)
        inner_v = inner * np.asarray(first @ (outer * x)).ravel()
        y = outer * np.asarray(second @ inner_v).ravel()
        return y - lead * (lead @ y)

    op = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    if v0 is None or v0.shape != (n,) or not np.any(v0):
        v0 = np.random.default_rng(0).standard_normal(n)
    w, v = spla.eigsh(op, k=1, which="LA", v0=v0, tol=1e-14, maxiter=max(2000, 20 * n))
    return v[:, 0], float(w[0])


def _eigenvector(mm: np.ndarray | sp.csr_array, d: np.ndarray, u: np.ndarray,
                 v0: np.ndarray | None = None, *, overwrite_m: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Raw (unstandardised) ECI and PCI vectors from the second eigenvector.

    With :math:`A = D^{-1/2} M U^{-1/2}`, the region matrix :math:`\\tilde M_R = D^{-1} M U^{-1}
    M^T` is similar to the symmetric :math:`A A^T`, and the activity matrix to :math:`A^T A`.
    The eigenproblem is solved on the smaller of the two, and the other side follows from
    :math:`q = U^{-1} M^T x` or :math:`x = D^{-1} M q`. Returns ``(x, q, eigenvalue, y)`` where
    ``y`` is the symmetric-form eigenvector (usable as ``v0`` for a similar matrix).

    Solvers: the explicit Gram matrix of the smaller side (LAPACK or ARPACK, see
    :func:`_second_eigvec_dense`, warm-started from ``v0`` when given) for moderate sizes;
    implicit Lanczos (products with :math:`M` only) when the smaller side exceeds
    :data:`DENSE_EIGEN_MAX`. (Implicit Lanczos is memory-bound: for dense matrices of moderate
    size, one BLAS-3 Gram product is cheaper than the ~20 pairs of matrix-vector products.)
    With ``overwrite_m`` a dense float64 ``mm`` is scaled into :math:`A` in place (the
    caller's private copy: one large array less to allocate).
    """
    n, p = mm.shape
    isd, isu = 1.0 / np.sqrt(d), 1.0 / np.sqrt(u)
    rows_side = n <= p
    side = "rows" if rows_side else "cols"
    small = min(n, p)
    if small > DENSE_EIGEN_MAX:
        y, lam = _second_eigvec_lanczos(mm, isd, isu, side, v0)
    else:
        if sp.issparse(mm):
            a = sp.csr_array(sp.diags_array(isd) @ mm @ sp.diags_array(isu))
        else:
            in_place = overwrite_m and mm.dtype == np.float64 and mm.flags.writeable
            a = mm if in_place else mm * isd[:, None]
            if in_place:
                a *= isd[:, None]
            a *= isu[None, :]
        s = a @ a.T if rows_side else a.T @ a
        s = s.toarray() if sp.issparse(s) else s
        y, lam = _second_eigvec_dense(np.asarray(s), np.sqrt(d if rows_side else u), v0)
        # the other side from A itself: U^-1 M^T D^-1/2 y = U^-1/2 A^T y, and likewise
        if rows_side:
            return y * isd, np.asarray(a.T @ y).ravel() * isu, lam, y
        return np.asarray(a @ y).ravel() * isd, y * isu, lam, y
    if rows_side:
        x = y * isd
        q = np.asarray(mm.T @ x).ravel() / u
    else:
        q = y * isu
        x = np.asarray(mm @ q).ravel() / d
    return x, q, lam, y


def _reflections(mm: np.ndarray | sp.csr_array, d: np.ndarray, u: np.ndarray,
                 iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Method of reflections; returns (k_{r, iterations-2}, k_{i, iterations-1}) up to an
    increasing affine map.

    ``D^{-1}M`` and ``U^{-1}M^T`` are row-stochastic, so replacing an iterate by
    ``a*k + b`` (a > 0) turns every later iterate into ``a*k' + b`` as well. Each iterate is
    therefore re-standardised, which leaves the final z-scores unchanged but keeps the signal
    from drowning in rounding once the iterates approach their constant limit.
    """

    def _std(v: np.ndarray) -> np.ndarray:
        sd = v.std()
        return (v - v.mean()) / sd if sd > 0 else v - v.mean()

    kc, kp = _std(d.astype(float)), _std(u.astype(float))
    out_c, out_p = kc, kp
    mt = mm.T
    for step in range(1, iterations):
        kc, kp = _std(np.asarray(mm @ kp).ravel() / d), _std(np.asarray(mt @ kc).ravel() / u)
        if step == iterations - 2:
            out_c = kc
        if step == iterations - 1:
            out_p = kp
    return out_c, out_p


def _fitness(mm: np.ndarray | sp.csr_array, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Fitness-complexity map with mean normalisation and simultaneous update."""
    n, p = mm.shape
    f, q = np.ones(n), np.ones(p)
    mt = mm.T
    for _ in range(1, iterations):
        f_new = np.asarray(mm @ q).ravel()
        q_new = 1.0 / np.asarray(mt @ (1.0 / f)).ravel()
        f, q = f_new / f_new.mean(), q_new / q_new.mean()
    return f, q


def _fix_sign(x: np.ndarray, q: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if np.std(x) > 0 and np.std(d) > 0 and np.corrcoef(x, d)[0, 1] < 0:
        return -x, -q
    return x, q


def complexity(m: object, method: Method = "eigenvector", iterations: int = 20, ddof: int = 1,
               *, missing: MissingPolicy = "raise") -> ComplexityResult:
    r"""Economic complexity of regions (ECI) and of activities (PCI).

    Let :math:`M` be the binary presence matrix, :math:`k_{r,0}=\sum_i M_{ri}` the diversity and
    :math:`k_{i,0}=\sum_r M_{ri}` the ubiquity.

    ``method="eigenvector"`` (Hausmann, Hidalgo et al. 2014):
        ECI is the eigenvector of the second-largest eigenvalue of
        :math:`\tilde M_{rr'} = \sum_i M_{ri} M_{r'i} / (k_{r,0} k_{i,0})` and
        PCI the matching eigenvector of :math:`\tilde M_{ii'}=\sum_r M_{ri}M_{ri'}/(k_{r,0}k_{i,0})`,
        obtained as :math:`Q = U^{-1} M^T K`. The problem is solved on the smaller side in the
        symmetric form :math:`D^{-1/2} M U^{-1} M^T D^{-1/2}` (dense ``eigh`` restricted to one
        eigenpair, or Lanczos with the known leading eigenvector deflated on large inputs).
    ``method="reflections"`` (Hidalgo & Hausmann 2009):
        :math:`k_{r,N} = \frac{1}{k_{r,0}}\sum_i M_{ri} k_{i,N-1}`,
        :math:`k_{i,N} = \frac{1}{k_{i,0}}\sum_r M_{ri} k_{r,N-1}`. With ``iterations=I`` the
        region value is :math:`k_{r,I-2}` and the activity value :math:`k_{i,I-1}` (18 and 19 for
        the default 20), as in the R package *economiccomplexity*.
    For both, ECI and PCI are standardised, :math:`(v-\bar v)/s_v` with ``ddof`` (1 = sample sd;
    ``ddof=0`` reproduces py-ecomplexity's ECI), and the sign is chosen so that ECI correlates
    positively with diversity; PCI takes the matching sign (it is the image of ECI under
    :math:`U^{-1}M^T`, so it follows the flip).

    ``method="fitness"`` (Tacchella et al. 2012):
        :math:`\tilde F_r^{(n)} = \sum_i M_{ri} Q_i^{(n-1)}`,
        :math:`\tilde Q_i^{(n)} = 1 / \sum_r M_{ri} / F_r^{(n-1)}`, each normalised by its mean at
        every step, updated simultaneously from :math:`F^{(0)} = Q^{(0)} = 1`, and reported after
        ``iterations - 1`` updates (the R package's convention). ``eci`` holds the fitness and
        ``pci`` the complexity; they are not standardised.

    Parameters
    ----------
    m : presence matrix (DataFrame, LabelledSparse, sparse matrix or array) of 0/1 values.
    method : {"eigenvector", "reflections", "fitness"}
    iterations : int, default 20 (>= 2). Used by reflections and fitness.
    ddof : int, default 1. Degrees of freedom of the standard deviation.
    missing : {"raise", "zero"}

    Returns
    -------
    ComplexityResult
        With ``.eci`` (Series over regions) and ``.pci`` (Series over activities). Regions with
        zero diversity and activities with zero ubiquity are left out of the computation and
        returned as NaN; they never contaminate the other values.

    References
    ----------
    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity. *PNAS*,
    106(26), 10570-10575.
    Hausmann, R., Hidalgo, C. A., et al. (2014). *The Atlas of Economic Complexity*. MIT Press.
    Tacchella, A., Cristelli, M., Caldarelli, G., Gabrielli, A., & Pietronero, L. (2012). A new
    metrics for countries' fitness and products' complexity. *Scientific Reports*, 2, 723.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if not isinstance(iterations, int | np.integer) or iterations < 2:
        raise ValueError(f"iterations must be an integer >= 2, got {iterations!r}")
    if ddof < 0:
        raise ValueError(f"ddof must be >= 0, got {ddof!r}")
    mat = as_labelled(m, name="m", missing=missing)
    check_binary(mat)
    return _complexity_matrix(mat, method, int(iterations), int(ddof))


def _complexity_matrix(mat: Matrix, method: str, iterations: int, ddof: int) -> ComplexityResult:
    d_all, u_all = mat.row_sums(), mat.col_sums()
    keep_r, keep_c = d_all > 0, u_all > 0
    data = mat.data
    if not keep_r.all() or not keep_c.all():
        data = data[keep_r][:, keep_c] if not sp.issparse(data) else \
            sp.csr_array(data[np.flatnonzero(keep_r)][:, np.flatnonzero(keep_c)])
    if keep_r.sum() < 2 or keep_c.sum() < 2:
        raise ValueError(
            "complexity needs at least two regions with positive diversity and two activities "
            f"with positive ubiquity (got {int(keep_r.sum())} and {int(keep_c.sum())})"
        )
    d, u = d_all[keep_r], u_all[keep_c]
    lam = None
    if method == "fitness":
        x, q = _fitness(data, iterations)
    else:
        if method == "eigenvector":
            x, q, lam, _ = _eigenvector(data, d, u)
            if lam > 1 - 1e-9:
                warnings.warn(
                    "the region-activity network is disconnected (second eigenvalue = 1): "
                    "the ECI only separates the components", RuntimeWarning, stacklevel=3)
        else:
            x, q = _reflections(data, d, u, iterations)
        x, q = _fix_sign(x, q, d)
        x, q = zscore(x, ddof), zscore(q, ddof)
    eci = np.full(mat.shape[0], np.nan)
    pci = np.full(mat.shape[1], np.nan)
    eci[keep_r], pci[keep_c] = x, q
    return ComplexityResult(
        eci=mat.row_series(eci, "eci" if method != "fitness" else "fitness"),
        pci=mat.col_series(pci, "pci" if method != "fitness" else "complexity"),
        method=method,
        iterations=None if method == "eigenvector" else iterations,
        ddof=None if method == "fitness" else ddof,
        eigenvalue=lam,
        excluded_regions=mat.rows[~keep_r],
        excluded_activities=mat.cols[~keep_c],
    )
