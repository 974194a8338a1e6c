from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "tenure.interactions"
    label = "interactions"

    def ready(self) -> None:
        from tenure.facts import fact_provider_register
        from tenure.interactions.facts import PROVIDER

        fact_provider_register(PROVIDER)
