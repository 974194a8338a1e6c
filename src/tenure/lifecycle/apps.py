from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LifecycleConfig(AppConfig):
    name = "tenure.lifecycle"
    label = "lifecycle"
    verbose_name = "Lifecycle"

    def ready(self) -> None:
        from tenure.events.consumers import consumer_register
        from tenure.facts import fact_provider_register
        from tenure.jobs.registry import run_kind_register
        from tenure.lifecycle import following, signals
        from tenure.lifecycle.facts import PROVIDERS
        from tenure.lifecycle.tasks import HEALTH_KIND, RECOMPUTE_KIND
        from tenure.privacy.signals import person_exporting

        run_kind_register(RECOMPUTE_KIND)
        run_kind_register(HEALTH_KIND)
        for provider in PROVIDERS:
            fact_provider_register(provider)
        consumer_register(following.STAGES)
        consumer_register(following.COMPLAINTS)
        person_exporting.connect(
            signals.on_person_exporting, dispatch_uid="tenure-lifecycle-person-export"
        )
        post_migrate.connect(
            signals.on_post_migrate, sender=self, dispatch_uid="tenure-lifecycle-default"
        )
