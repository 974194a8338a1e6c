from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tenure.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from tenure.events.consumers import consumer_register
        from tenure.jobs.registry import run_kind_register
        from tenure.notifications import following, tasks

        consumer_register(following.NOTIFY)
        run_kind_register(tasks.DIGEST_KIND)
