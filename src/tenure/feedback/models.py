"""What customers say and who they bring: survey answers (NPS, CSAT, CES), the surveys they
are invited to by email and answer by a signed link, and referrals.

Orders and interactions are sibling apps this one does not import: an answer's optional link
to the order or conversation it was about names them by label.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from tenure.customers.models import Customer


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"
    CES = "ces", "CES"


# The scale of each kind, lowest and highest score (DOMAIN.md): NPS 0-10, CSAT 1-5, CES 1-7
# (as ``tenure.analytics.feedback.SCALES``).
SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}


class SurveyResponse(models.Model):
    """One answer of a customer to an NPS, CSAT or CES question. An answer is what the
    customer said: it is recorded or deleted, never edited. An answer given through a survey's
    link names its invitation (one answer per invitation)."""

    # No index of its own: survey_customer_kind_at (customer, kind, answered_at) serves it.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="survey_responses", db_index=False
    )
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField()
    channel = models.CharField(max_length=40, blank=True, help_text="e.g. email, in-app, phone")
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
        help_text="the order the answer is about, if any",
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
        help_text="the conversation or case the answer is about, if any",
    )
    external_id = models.CharField(
        max_length=100, blank=True, help_text="the survey tool's id; unique per kind"
    )
    invitation = models.OneToOneField(
        "SurveyInvitation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answer",
        help_text="the invitation answered, for an answer given through a survey's link",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [
            # The latest answer of each customer and kind as of a moment (lifecycle facts,
            # the customer page), and a customer's answers in the timeline.
            models.Index(
                fields=["customer", "kind", "answered_at"], name="survey_customer_kind_at"
            ),
            models.Index(fields=["answered_at"], name="survey_answered_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=SurveyKind.NPS) & Q(score__gte=0) & Q(score__lte=10))
                | (Q(kind=SurveyKind.CSAT) & Q(score__gte=1) & Q(score__lte=5))
                | (Q(kind=SurveyKind.CES) & Q(score__gte=1) & Q(score__lte=7)),
                name="survey_score_on_scale",
                violation_error_message="An NPS score is 0 to 10, a CSAT score 1 to 5, a CES "
                "score 1 to 7.",
            ),
            models.UniqueConstraint(
                fields=["kind", "external_id"],
                condition=~Q(external_id=""),
                name="survey_unique_external_id",
                violation_error_message="An answer of this kind with this external id exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score}"

    @property
    def sentiment(self) -> str:
        """promoter / passive / detractor for NPS (9-10 / 7-8 / 0-6); satisfied (4-5) or not
        for CSAT, as the CSAT formula counts them; easy / neutral / difficult for CES (5-7 / 4 /
        1-3)."""
        if self.kind == SurveyKind.NPS:
            return "promoter" if self.score >= 9 else "passive" if self.score >= 7 else "detractor"
        if self.kind == SurveyKind.CES:
            return "easy" if self.score >= 5 else "neutral" if self.score == 4 else "difficult"
        return "satisfied" if self.score >= 4 else "unsatisfied"

    @property
    def scale_high(self) -> int:
        """The highest score of the answer's scale (10, 5 or 7), for "8 out of 10"."""
        return SCALES[self.kind][1]


class ReferralStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    SIGNED_UP = "signed_up", "Signed up"
    PURCHASED = "purchased", "Purchased"


class Referral(models.Model):
    """A customer telling someone about the business: an invitation sent, a sign-up, a first
    purchase. The person referred may not be a customer (yet): then only an email is known,
    or nothing at all."""

    referrer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="referrals_made", db_index=False
    )
    referred_customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals_received",
    )
    referred_email = models.EmailField(blank=True)
    referred_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.INVITED
    )
    external_id = models.CharField(
        max_length=100, blank=True, help_text="the referral program's id; unique"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referred_at", "-id"]
        indexes = [
            # A referrer's referrals as of a moment (lifecycle facts), and their timeline.
            models.Index(fields=["referrer", "referred_at"], name="referral_referrer_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(referred_customer__isnull=True) | ~Q(referred_customer=F("referrer")),
                name="referral_not_self",
                violation_error_message="A customer cannot refer themselves.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="referral_unique_external_id",
            ),
            # The same person is referred by the same customer once.
            models.UniqueConstraint(
                fields=["referrer", "referred_customer"],
                condition=Q(referred_customer__isnull=False),
                name="referral_once_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral by {self.referrer_id} ({self.get_status_display()})"


class Survey(models.Model):
    """A question customers are invited to answer by email, on a public page reached by a
    signed link: NPS (0-10), CSAT (1-5) or CES (1-7), with an optional free-text follow-up."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    question = models.CharField(max_length=500)
    follow_up = models.CharField(
        max_length=500, blank=True, help_text="an optional free-text question after the score"
    )
    language = models.CharField(
        max_length=10, blank=True, help_text="the page's language (e.g. de), if not English"
    )
    valid_days = models.PositiveSmallIntegerField(
        default=30, help_text="days an invitation's link may be answered"
    )
    active = models.BooleanField(default=True)
    review_url = models.URLField(
        blank=True, help_text="the business's review page, offered to promoters (NPS 9-10)"
    )
    referral_url = models.URLField(
        blank=True, help_text="the referral programme's page; a promoter's link adds ?ref=<id>"
    )
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SurveyKind.values), name="survey_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(valid_days__gte=1) & Q(valid_days__lte=365),
                name="survey_valid_days_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SurveySend(models.Model):
    """One sending of a survey: by hand (the page, the CLI) on a day, or by a playbook. Its
    ``key`` makes a send retried the same send; response rates are counted per send."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sends")
    key = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=120, help_text="manual, cli or playbook:<id>")
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    skipped = models.PositiveIntegerField(
        default=0, help_text="customers not invited (no consent, no address), last time asked"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.survey} ({self.key})"


class SurveyInvitation(models.Model):
    """A customer invited to answer a survey: one email with a signed, expiring link, answered
    at most once. ``key`` (survey, customer, occurrence) is unique, so a send retried makes no
    second invitation."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    send = models.ForeignKey(SurveySend, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    account = models.ForeignKey(
        "customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    key = models.CharField(max_length=200, unique=True)
    language = models.CharField(
        max_length=10, blank=True, help_text="the customer's language when sent ('': the survey's)"
    )
    sent_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(help_text="when its email was queued")
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "sent_at"], name="invitation_survey_sent"),
            models.Index(fields=["customer", "sent_at"], name="invitation_customer_sent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("sent_at")), name="invitation_expires_after_sent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} to {self.customer_id}"


class QuestionKind(models.TextChoices):
    SCALE = "scale", "Scale"
    CHOICE = "choice", "Choice"
    TEXT = "text", "Free text"


class SurveyQuestion(models.Model):
    """A custom question of a survey, asked after its headline (NPS, CSAT or CES) question:
    a scale (``scale_min``-``scale_max`` with words at its ends), a choice among ``options``
    (one, or several with ``multiple``) or free text. ``position`` orders them, from 1."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=6, choices=QuestionKind.choices)
    text = models.CharField(max_length=500)
    required = models.BooleanField(default=False)
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    low_label = models.CharField(max_length=80, blank=True)
    high_label = models.CharField(max_length=80, blank=True)
    options = models.JSONField(default=list, blank=True, help_text="the choices' texts")
    multiple = models.BooleanField(default=False, help_text="several choices may be ticked")

    class Meta:
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="question_position_once"),
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="question_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=QuestionKind.SCALE)
                | (
                    Q(scale_min__isnull=False, scale_max__isnull=False)
                    & Q(scale_min__lt=F("scale_max"))
                ),
                name="question_scale_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.position} {self.text[:40]}"

    @property
    def field(self) -> str:
        """The answer's name in a form or an API body: ``q1``, ``q2``, ..."""
        return f"q{self.position}"


class SurveyTranslation(models.Model):
    """A survey's texts in another language: the headline question, the follow-up, and per
    custom question (by position) its text, options and scale words. Saved only complete
    (``tenure.feedback.questions.survey_translation_save``)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10)
    question = models.CharField(max_length=500)
    follow_up = models.CharField(max_length=500, blank=True)
    questions = models.JSONField(
        default=dict, blank=True, help_text='{"1": {"text": ..., "options": [...], ...}}'
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["survey", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "language"], name="translation_once_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} ({self.language})"


class SurveyAnswerItem(models.Model):
    """The answer to one custom question, part of a survey answer: ``number`` for a scale,
    ``choices`` (the options' indexes, from 0) for a choice, ``text`` for free text. Kept in
    columns, so results count choices and average scales in the database's rows."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(
        SurveyQuestion, on_delete=models.PROTECT, related_name="answers", db_index=False
    )
    number = models.SmallIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "question"]
        indexes = [models.Index(fields=["question", "response"], name="answer_item_question")]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"
