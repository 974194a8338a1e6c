from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "tenure.interactions"
    label = "interactions"

    def ready(self) -> None:
        from tenure.events.tracking import events_follow
        from tenure.facts import fact_provider_register
        from tenure.interactions import events
        from tenure.interactions.facts import PROVIDER
        from tenure.interactions.models import Interaction

        fact_provider_register(PROVIDER)
        events_follow(Interaction, events.FIELDS, events.interaction_events)
