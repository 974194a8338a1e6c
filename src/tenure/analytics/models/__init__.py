"""The buy-till-you-die estimators, one per module, scikit-learn style.

``BetaGeo`` (BG/NBD), ``ModifiedBetaGeo`` (MBG/NBD: one-time buyers may drop out too),
``ParetoNBD``, ``GammaGamma`` (spend; ``spend_limit`` its boundary) and ``ShiftedBetaGeometric``
(contractual retention): ``fit(...)`` returns ``self``; ``params_`` holds the parameters by the
papers' names, ``standard_errors_`` their standard errors, ``log_likelihood_`` the full
log-likelihood; ``predict_*`` methods raise :class:`~tenure.analytics.errors.NotFittedError`
before ``fit``.
"""

from tenure.analytics.models.bg_nbd import BetaGeo
from tenure.analytics.models.gamma_gamma import GammaGamma
from tenure.analytics.models.mbg_nbd import ModifiedBetaGeo
from tenure.analytics.models.pareto_nbd import ParetoNBD
from tenure.analytics.models.sbg import ShiftedBetaGeometric, survivors_to_lost

__all__ = [
    "BetaGeo",
    "GammaGamma",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "ShiftedBetaGeometric",
    "survivors_to_lost",
]
