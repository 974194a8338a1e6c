from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "tenure.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from tenure.facts import fact_provider_register
        from tenure.feedback.facts import PROVIDER

        fact_provider_register(PROVIDER)
