from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "tenure.interactions"
    label = "interactions"
