from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tenure.orders"
    label = "orders"

    def ready(self) -> None:
        from tenure.facts import fact_provider_register
        from tenure.orders.facts import PROVIDER

        fact_provider_register(PROVIDER)
