from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "tenure.interactions"
    label = "interactions"

    def ready(self) -> None:
        from tenure.events.tracking import events_follow
        from tenure.interactions import events
        from tenure.interactions.models import Interaction

        events_follow(Interaction, events.FIELDS, events.interaction_events)
