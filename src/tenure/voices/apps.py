from django.apps import AppConfig


class VoicesConfig(AppConfig):
    name = "tenure.voices"
    label = "voices"
    verbose_name = "Comments and reviews"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tenure.events.tracking import events_follow
        from tenure.voices import events
        from tenure.voices.models import FeedbackForm, Voice

        events_follow(Voice, events.VOICE_FIELDS, events.voice_events)
        auditlog.register(Voice)
        auditlog.register(FeedbackForm)
