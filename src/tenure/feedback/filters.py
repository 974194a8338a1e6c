"""The survey answers' and referrals' list filters, declared once
(``tenure.access.filtering``)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from tenure.access.filtering import IdFilter, ListFilterSet
from tenure.feedback.models import Referral, ReferralStatus, SurveyKind, SurveyResponse
from tenure.feedback.selectors import answers_latest


class SurveyResponseFilterSet(ListFilterSet):
    customer_id = IdFilter()
    kind = django_filters.ChoiceFilter(choices=SurveyKind.choices)
    answered_after = django_filters.IsoDateTimeFilter(field_name="answered_at", lookup_expr="gte")
    answered_before = django_filters.IsoDateTimeFilter(field_name="answered_at", lookup_expr="lt")
    # Last: the latest of the answers the other filters chose.
    latest = django_filters.BooleanFilter(method="keep_latest")

    class Meta(ListFilterSet.Meta):
        model = SurveyResponse
        fields: list[str] = []

    def keep_latest(
        self, answers: QuerySet[SurveyResponse], name: str, latest: bool
    ) -> QuerySet[SurveyResponse]:
        if not latest:
            return answers
        # By id, so that the cursor's "id > n" does not change which answer is the latest.
        return SurveyResponse.objects.filter(pk__in=answers_latest(answers).values("pk"))


class ReferralFilterSet(ListFilterSet):
    customer_id = IdFilter(method="of_customer", help_text="the referrer or the customer referred")
    referrer_id = IdFilter()
    status = django_filters.ChoiceFilter(choices=ReferralStatus.choices)
    referred_after = django_filters.IsoDateTimeFilter(field_name="referred_at", lookup_expr="gte")
    referred_before = django_filters.IsoDateTimeFilter(field_name="referred_at", lookup_expr="lt")

    class Meta(ListFilterSet.Meta):
        model = Referral
        fields: list[str] = []

    def of_customer(
        self, referrals: QuerySet[Referral], name: str, customer_id: int
    ) -> QuerySet[Referral]:
        return referrals.filter(Q(referrer_id=customer_id) | Q(referred_customer_id=customer_id))
