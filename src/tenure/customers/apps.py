from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tenure.customers"
    label = "customers"

    def ready(self) -> None:
        from tenure.customers import events
        from tenure.customers.facts import PROVIDERS
        from tenure.customers.models import Account, Consent, Customer, Subscription
        from tenure.events.tracking import events_follow
        from tenure.facts import fact_provider_register

        for provider in PROVIDERS:
            fact_provider_register(provider)
        events_follow(Account, events.ACCOUNT_FIELDS, events.account_events)

        events_follow(Customer, events.CUSTOMER_FIELDS, events.customer_events)
        events_follow(Subscription, events.SUBSCRIPTION_FIELDS, events.subscription_events)
        events_follow(Consent, events.CONSENT_FIELDS, events.consent_events)
