from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "tenure.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from tenure.events.consumers import consumer_register, follower_register
        from tenure.webhooks.following import DELIVERIES
        from tenure.webhooks.sending import deliveries_send

        consumer_register(DELIVERIES)
        follower_register("webhooks.send", lambda: deliveries_send())
