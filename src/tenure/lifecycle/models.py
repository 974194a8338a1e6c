"""Lifecycle storage: the definitions (versioned), each customer's stage and its transitions,
health scores with their history, recompute runs, and the team's tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenure.customers.models import Account, Customer
from tenure.domain.health import health_explanation


class LifecycleDefinition(models.Model):
    """One version of the stages and rules (grammar: ``tenure.domain.lifecycle``).

    Never changed once stored: an edit is a new version, because transitions point at the
    version whose rules made them. Exactly one version is active (a partial unique constraint).
    """

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    preset = models.CharField(max_length=40, blank=True, help_text="the preset it started from")
    definition = models.JSONField(help_text="the definition as validated")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="lifecycle_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"


class CustomerStage(models.Model):
    """Where a customer stands now; ``rule`` and ``reason`` of the move that put them there,
    ``entered_at`` when that move happened in the customer's history (its ``effective_at``)."""

    # No database constraint, as for StageTransition and CustomerHealth: PostgreSQL checks a
    # deferred foreign key row by row at commit, 0.6 s of each 100,000-customer chunk of a
    # first recompute. The engine writes only customers it just read, and deleting a customer
    # deletes their stage (the ORM's CASCADE).
    customer = models.OneToOneField(
        Customer,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="lifecycle_stage",
        db_constraint=False,
    )
    stage = models.CharField(max_length=60)
    entered_at = models.DateTimeField()
    # No database constraint on the version (a check per row at commit, 1.2 s a million
    # rows): versions are never deleted, and the ORM's PROTECT refuses to.
    definition = models.ForeignKey(
        LifecycleDefinition,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    rule = models.CharField(max_length=60, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["stage", "customer"], name="customer_stage_by_stage")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.stage}"


class TransitionCause(models.TextChoices):
    RECOMPUTE = "recompute", "Recompute (nightly or on demand)"
    CUSTOMER = "customer", "Customer created or changed"
    ORDER = "order", "Order"
    SUBSCRIPTION = "subscription", "Subscription"
    INTERACTION = "interaction", "Interaction"
    IMPORT = "import", "Import"
    FEEDBACK = "feedback", "Survey answer or referral"
    MANUAL = "manual", "Moved by hand"


class StageTransition(models.Model):
    """One move of one customer: from (blank: no stage yet), to, by which rule, why, and what
    set the recompute off, on two clocks.

    ``effective_at``: when the move happened in the customer's history (an order's moment, or
    the moment a rule on the clock came true: ``last order + 3 x gap``); ``recorded_at``: when
    tenure stored it. Moves made at one moment share ``effective_at``; ``step`` orders them.

    A history corrected later (a back-dated order, an import in chunks) is replayed; the
    stored moves the replay no longer gives are kept, with ``superseded_at`` set to when the
    replay replaced them. The customer's *effective history* is their moves not superseded;
    what tenure believed at a moment T is the moves recorded by T and not superseded by T.
    """

    # Indexed by the (customer, effective_at, step) index below. No database constraint: its
    # check of every row at commit cost 5 s of a first recompute's 60 at a million customers
    # (1.7 million moves); the engine writes only customers it just read, and deleting a
    # customer deletes their moves (Django's CASCADE runs in the ORM either way).
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="stage_transitions",
        db_index=False,
        db_constraint=False,
    )
    from_stage = models.CharField(max_length=60, blank=True)
    to_stage = models.CharField(max_length=60)
    rule = models.CharField(max_length=60)
    reason = models.TextField(blank=True)
    effective_at = models.DateTimeField(help_text="when it happened in the customer's history")
    recorded_at = models.DateTimeField(help_text="when tenure stored it")
    superseded_at = models.DateTimeField(
        null=True, blank=True, help_text="when a replay of a corrected history replaced it"
    )
    step = models.PositiveSmallIntegerField(default=0)
    definition = models.ForeignKey(
        LifecycleDefinition,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    cause = models.CharField(max_length=20, choices=TransitionCause.choices)

    class Meta:
        ordering = ["customer", "effective_at", "step", "id"]
        # One index: the selectors read a customer's history or everyone's. A second one on
        # (to_stage, at) was read by nothing and cost every stored move (a first replay of a
        # million customers stores five million).
        indexes = [
            models.Index(fields=["customer", "effective_at", "step"], name="transition_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_stage or '-'} -> {self.to_stage} ({self.rule})"


class ManualMove(models.Model):
    """A customer put in a stage by hand (the board's drag, the API), with who and why.

    An event of the customer's history like an order: every replay puts them in ``stage`` at
    ``at``, whatever the rules say then, and the rules take over from the next thing that
    happens to them (``tenure.domain.lifecycle.replay``). A stage the active definition no
    longer has is passed over. Never edited: a later move by hand is another row.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="manual_moves")
    stage = models.CharField(max_length=60)
    at = models.DateTimeField(help_text="when it took effect in the customer's history")
    reason = models.TextField(max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "at"], name="manual_move_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} -> {self.stage} by hand"


class HealthBand(models.TextChoices):
    RED = "red", "Red"
    YELLOW = "yellow", "Yellow"
    GREEN = "green", "Green"


class Health(models.Model):
    """The fields of a latest health score, a customer's or an account's
    (``tenure.domain.health``), and the score in words."""

    SUBJECT = "customer"

    score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=20, blank=True)
    components = models.JSONField(default=dict, blank=True)
    drivers = models.JSONField(
        null=True,
        blank=True,
        help_text="[[component, {fact: value}], ...], costliest first",
    )
    trend = models.SmallIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        abstract = True

    @property
    def explanation(self) -> str:
        """The score in words: band, what cost the most points, what had no data."""
        return health_explanation(
            self.score, self.band, self.components, self.drivers, subject=self.SUBJECT
        )


class HealthScore(Health):
    """A customer's latest health (``tenure.domain.health``): 0-100 (None: no data), band,
    each component's score, the drivers with the facts their words need, and the trend arrow
    (-1, 0, +1). ``explanation`` puts the drivers in words when read: building a million
    sentences at scoring time was most of the nightly run's time."""

    # No database constraint (nor on the snapshots): PostgreSQL checks a deferred foreign key
    # row by row at commit, 1.4 s per 200,000 rows, a quarter of a first scoring. The scoring
    # writes only customers it just read, and deleting a customer deletes their health (the
    # ORM's CASCADE), as for StageTransition.
    customer = models.OneToOneField(
        Customer,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="health",
        db_constraint=False,
    )

    class Meta:
        indexes = [models.Index(fields=["band", "score"], name="health_band_score")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="health_score_0_100",
            ),
            models.CheckConstraint(condition=Q(trend__in=(-1, 0, 1)), name="health_trend_sign"),
        ]

    def __str__(self) -> str:
        return f"health of {self.customer_id}: {self.score} ({self.band})"


class HealthSnapshot(models.Model):
    """A customer's score on a day, kept when it changed (see ``services.health_recompute``)."""

    # Indexed by the unique (customer, day) constraint; no database constraint (see above).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    day = models.DateField()
    score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=20, blank=True)
    # Each factor's 0-100 that day (as ``HealthScore.components``); {} on rows from before
    # they were kept. A row is also written when a factor moved by ``COMPONENT_STEP`` points.
    components = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["customer", "day"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "day"], name="health_snapshot_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} on {self.day}: {self.score}"


RECOMPUTE_RUN = "lifecycle.recompute"
HEALTH_RUN = "lifecycle.health"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RecomputeRun(models.Model):
    """One recompute of the whole base (``scope="all"``), kept as a record and for the
    population's median gap between purchase days, which the incremental updates reuse so that
    they agree with the bulk run (see ``tenure.lifecycle.facts``). A run asked for from a page
    or the API is stored ``queued`` and done by the worker, as is the nightly chain's: ``run``
    is that ``tenure.jobs`` run, whose state its ``status``, ``error`` and ``finished_at``
    follow (``tenure.lifecycle.tasks.recompute_follow``). Only ``done`` runs count."""

    run = models.OneToOneField(
        "jobs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="recompute"
    )
    scope = models.CharField(max_length=10, default="all")
    cause = models.CharField(max_length=20, default=TransitionCause.RECOMPUTE)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.DONE)
    error = models.TextField(blank=True)
    as_of = models.DateTimeField(
        null=True, blank=True, help_text="the clock the facts were computed on (once run)"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    definition = models.ForeignKey(LifecycleDefinition, on_delete=models.PROTECT, related_name="+")
    customers = models.PositiveIntegerField(default=0)
    moved = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    median_gap_days = models.FloatField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"recompute {self.pk} as of {self.as_of:%Y-%m-%d %H:%M}"


class AccountHealthScore(Health):
    """An account's latest health: the same engine and components as a customer's, on the
    facts of its customers taken together (``tenure.lifecycle.account_facts``), and, for
    context, the revenue-weighted mean of its customers' own scores (not part of the score)."""

    SUBJECT = "account"

    account = models.OneToOneField(
        Account, primary_key=True, on_delete=models.CASCADE, related_name="health"
    )
    customers_score = models.FloatField(
        null=True, blank=True, help_text="its customers' scores weighted by their revenue"
    )
    customers_scored = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["band", "score"], name="account_health_band_score")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="account_health_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(trend__in=(-1, 0, 1)), name="account_health_trend_sign"
            ),
        ]

    def __str__(self) -> str:
        return f"health of account {self.account_id}: {self.score} ({self.band})"


class AccountHealthSnapshot(models.Model):
    """An account's score on a day, kept when it changed (as ``HealthSnapshot``)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=20, blank=True)
    components = models.JSONField(default=dict, blank=True)  # as ``HealthSnapshot``'s

    class Meta:
        ordering = ["account", "day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="account_health_per_day")
        ]

    def __str__(self) -> str:
        return f"account {self.account_id} on {self.day}: {self.score}"


class HealthBacktestRun(models.Model):
    """One backtest of health (``tenure.domain.health_backtest``): the AUCs of health with the
    weights in use and with weights fitted to the history, of days since the last order and of
    the chosen churn ranking, on one time split; the fitted weights an admin may adopt."""

    observation_end = models.DateField()
    holdout_days = models.PositiveIntegerField(null=True, blank=True)
    customers = models.PositiveIntegerField(default=0)
    lapsed = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict, help_text="HealthBacktest.as_dict()")
    fitted_weights = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="why no backtest could be run")
    duration_seconds = models.FloatField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"health backtest {self.pk} to {self.observation_end}"


class HealthDefinitionSource(models.TextChoices):
    DEFAULT = "default", "default weights"
    FITTED = "fitted", "weights fitted to the history"


class HealthDefinition(models.Model):
    """The health configuration in use (``tenure.domain.health.health_config_validate``): the
    latest row; none means the defaults. Never changed once stored: adopting weights is a new
    row, with who adopted them, when, and the backtest they came from."""

    definition = models.JSONField(help_text="the configuration as validated")
    source = models.CharField(max_length=10, choices=HealthDefinitionSource.choices)
    backtest = models.ForeignKey(
        HealthBacktestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    adopted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-adopted_at", "-id"]

    def __str__(self) -> str:
        return f"health definition {self.pk} ({self.source})"
