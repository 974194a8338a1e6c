from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "tenure.events"
    label = "events"
    verbose_name = "Events"
