from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tenure.customers"
    label = "customers"

    def ready(self) -> None:
        from tenure.customers.facts import PROVIDERS
        from tenure.facts import fact_provider_register

        for provider in PROVIDERS:
            fact_provider_register(provider)
