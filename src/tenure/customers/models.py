"""Who the business sells to: accounts (companies), their contacts, customers and subscriptions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from tenure.customers.validators import validate_currency, validate_time_zone


class SizeBand(models.TextChoices):
    MICRO = "1-10", "1-10 employees"
    SMALL = "11-50", "11-50 employees"
    MEDIUM = "51-200", "51-200 employees"
    LARGE = "201-1000", "201-1,000 employees"
    ENTERPRISE = "1000+", "1,000+ employees"


class BudgetBand(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    STRATEGIC = "strategic", "Strategic"


class Account(models.Model):
    """A company that buys through one or more customers and has several contacts."""

    name = models.CharField(max_length=200, unique=True)
    industry = models.CharField(max_length=100, blank=True)
    size_band = models.CharField(max_length=10, choices=SizeBand.choices, blank=True)
    budget_band = models.CharField(max_length=10, choices=BudgetBand.choices, blank=True)
    website = models.URLField(blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="account_teams"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="account_name_lower")]

    def __str__(self) -> str:
        return self.name


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    CHAMPION = "champion", "Champion"
    USER = "user", "User"
    BILLING = "billing", "Billing"
    TECHNICAL = "technical", "Technical"
    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
    OTHER = "other", "Other"


class Contact(models.Model):
    """A person at an account; a relationship should reach several of them, not one."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=20, choices=ContactRole.choices, default=ContactRole.USER)
    is_primary = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    receives_reports = models.BooleanField(
        default=False,
        help_text="asked for the account's results report by email; the report's unsubscribe "
        "link turns it off",
    )

    class Meta:
        ordering = ["account", "-is_primary", "last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Customer(models.Model):
    """Someone who buys. ``external_id`` is the business's own id, the key of every import.

    The ``first_order_at`` .. ``revenue`` columns are a cache of the customer's completed
    orders, refreshed by ``customer_stats_refresh`` whenever orders are written, so that lists of
    100,000 customers sort and filter by them without aggregating a million orders per request.

    The cached columns have no index on purpose: an import rewrites them for most customers in
    every batch, and an update that touches no indexed column is a HOT update on PostgreSQL
    (no index entries written; with the 12 indexes it was 4x slower and the 1M-order import
    missed its 60 s target). Sorting 100,000 rows by them costs a scan, measured in
    benchmarks/pages.py. Migration 0005 leaves free room in each PostgreSQL page for HOT.
    """

    external_id = models.CharField(max_length=100, unique=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    birthday = models.DateField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_time_zone], help_text="e.g. Europe/Paris"
    )
    channel = models.CharField("acquisition channel", max_length=60, blank=True)
    category = models.CharField(max_length=60, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    custom_attributes = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="customer_teams"
    )
    created_at = models.DateTimeField(help_text="customer since")
    updated_at = models.DateTimeField(auto_now=True)

    first_order_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_order_at = models.DateTimeField(null=True, blank=True, editable=False)
    orders_count = models.PositiveIntegerField(default=0, editable=False)
    revenue = models.DecimalField(
        max_digits=16, decimal_places=2, default=Decimal("0"), editable=False
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(Lower("email"), name="customer_email_lower"),
            models.Index(fields=["last_name", "first_name", "id"], name="customer_name"),
            models.Index(fields=["category"], name="customer_category"),
            models.Index(fields=["channel"], name="customer_channel"),
            models.Index(fields=["created_at", "id"], name="customer_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(revenue__gte=0), name="customer_revenue_gte_0"),
            models.CheckConstraint(
                condition=Q(last_order_at__gte=F("first_order_at")) | Q(last_order_at__isnull=True),
                name="customer_last_order_after_first",
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="customer_external_id_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def average_order_value(self) -> Decimal | None:
        if not self.orders_count:
            return None
        return (self.revenue / self.orders_count).quantize(Decimal("0.01"))


class SpecialDate(models.Model):
    """A date worth remembering: an anniversary, a name day, the day they became a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="special_dates")
    label = models.CharField(max_length=80)
    date = models.DateField()
    recurs_yearly = models.BooleanField(default=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "label"], name="special_date_unique_label")
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.date:%Y-%m-%d}"


class ConsentPurpose(models.TextChoices):
    EMAIL_MARKETING = "email_marketing", "Marketing emails"
    SMS_MARKETING = "sms_marketing", "Marketing text messages"
    PHONE = "phone", "Phone calls"
    SERVICE_EMAIL = "service_email", "Service emails (check-ins, receipts)"
    PROFILING = "profiling", "Personalisation and analytics"
    # Topics of marketing email: a person may keep the newsletter and refuse offers.
    NEWSLETTER = "newsletter", "Newsletter"
    OFFERS = "offers", "Offers and special-day promotions"
    LOYALTY = "loyalty", "Loyalty programme news"


class Consent(models.Model):
    """Whether a customer agreed to be contacted for one purpose, and when that last changed."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=30, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    changed_at = models.DateTimeField()
    source = models.CharField(max_length=60, blank=True, help_text="e.g. signup form, import")
    evidence = models.TextField(
        blank=True,
        max_length=2000,
        help_text="What shows the customer's choice, e.g. the form and its wording, the message "
        "whose unsubscribe link was used",
    )

    class Meta:
        ordering = ["purpose"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "purpose"], name="consent_one_per_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.purpose}: {'yes' if self.granted else 'no'}"


class BillingInterval(models.TextChoices):
    MONTH = "month", "Monthly"
    QUARTER = "quarter", "Quarterly"
    YEAR = "year", "Yearly"


class Subscription(models.Model):
    """A contract: the customer pays ``amount`` every ``interval`` until it is cancelled."""

    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    plan = models.CharField(max_length=100)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    interval = models.CharField(max_length=10, choices=BillingInterval.choices)
    started_at = models.DateTimeField()
    renews_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["customer", "started_at"], name="subscription_customer")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="subscription_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=F("started_at")),
                name="subscription_cancelled_after_start",
            ),
            models.CheckConstraint(
                condition=Q(cancellation_reason="") | Q(cancelled_at__isnull=False),
                name="subscription_reason_needs_cancellation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} ({self.get_interval_display()})"

    def clean(self) -> None:
        # The check constraints' rules, said on their fields (the constraints alone would name
        # themselves: "Constraint ... is violated").
        errors: dict[str, str] = {}
        if self.cancellation_reason and self.cancelled_at is None:
            errors["cancellation_reason"] = "a cancellation reason needs a cancellation date"
        if self.cancelled_at and self.started_at and self.cancelled_at < self.started_at:
            errors["cancelled_at"] = "cannot be before the subscription started"
        if errors:
            raise ValidationError(errors)

    @property
    def is_active(self) -> bool:
        return self.cancelled_at is None
