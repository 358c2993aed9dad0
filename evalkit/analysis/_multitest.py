"""Multiple-comparison adjustment of p-values (Holm by hand, the others through statsmodels)."""
from __future__ import annotations

import numpy as np

__all__ = ["adjust_p"]


def adjust_p(pvalues, method: str) -> np.ndarray:
    """Adjusted p-values for the family ``pvalues`` (in the given order).

    Parameters
    ----------
    pvalues : array-like of float
        The unadjusted p-values, none missing.
    method : str
        ``"holm"`` (Holm 1979) or any method of ``statsmodels.stats.multitest.multipletests``
        (``"fdr_bh"``, ``"bonferroni"`` …).

    Returns
    -------
    ndarray
        The adjusted p-values, in the order of ``pvalues``.

    Notes
    -----
    Holm's step-down adjustment: with the :math:`m` p-values sorted, :math:`p_{(1)} \\le … \\le p_{(m)}`,

    .. math:: \\tilde p_{(i)} = \\min\\Bigl(1, \\max_{j \\le i} (m - j + 1)\\, p_{(j)}\\Bigr),

    equal to R ``p.adjust(p, method = "holm")`` and ``multipletests(p, method="holm")[1]``. It is written here
    rather than called because statsmodels' Holm branch ends with ``gc.collect()``, a full collection of the
    interpreter's heap: 0.11 s per call inside a report run (two per sample IBIC report), for a sort and a
    running maximum. Ties keep R's result (the running maximum makes the order among equal p-values irrelevant).
    """
    p = np.asarray(pvalues, dtype=float)
    if method != "holm":
        from statsmodels.stats.multitest import multipletests

        return multipletests(p, method=method)[1]
    order = np.argsort(p, kind="stable")
    steps = np.arange(len(p), 0, -1)  # m, m − 1, …, 1
    adjusted = np.minimum(1.0, np.maximum.accumulate(steps * p[order]))
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out
