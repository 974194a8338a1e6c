from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tenure.orders"
    label = "orders"

    def ready(self) -> None:
        from tenure.events.tracking import events_follow
        from tenure.facts import fact_provider_register
        from tenure.orders import events
        from tenure.orders.facts import PROVIDER
        from tenure.orders.models import Order

        fact_provider_register(PROVIDER)
        events_follow(Order, events.FIELDS, events.order_events)
