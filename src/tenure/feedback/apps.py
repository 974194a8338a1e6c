from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "tenure.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from tenure.events.tracking import events_follow
        from tenure.facts import fact_provider_register
        from tenure.feedback import events
        from tenure.feedback.facts import PROVIDER
        from tenure.feedback.models import Referral, SurveyResponse

        fact_provider_register(PROVIDER)
        events_follow(SurveyResponse, events.ANSWER_FIELDS, events.answer_events)
        events_follow(Referral, events.REFERRAL_FIELDS, events.referral_events)
