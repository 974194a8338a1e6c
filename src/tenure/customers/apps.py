from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tenure.customers"
    label = "customers"

    def ready(self) -> None:
        from tenure.customers import events
        from tenure.customers.models import Consent, Customer, Subscription
        from tenure.events.tracking import events_follow

        events_follow(Customer, events.CUSTOMER_FIELDS, events.customer_events)
        events_follow(Subscription, events.SUBSCRIPTION_FIELDS, events.subscription_events)
        events_follow(Consent, events.CONSENT_FIELDS, events.consent_events)
