from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "tenure.segments"
    label = "segments"
    verbose_name = "Segments"

    def ready(self) -> None:
        from tenure.events.consumers import consumer_register
        from tenure.facts import fact_provider_register
        from tenure.jobs.registry import run_kind_register
        from tenure.privacy.signals import person_erasing, person_exporting
        from tenure.segments import events, following, rfm, signals, tasks

        assert events.ENTERED  # the kinds register on import
        run_kind_register(tasks.REFRESH_KIND)
        fact_provider_register(rfm.PROVIDER)
        consumer_register(following.MEMBERS)
        person_exporting.connect(signals.on_person_exporting, dispatch_uid="segments-export")
        person_erasing.connect(signals.on_person_erasing, dispatch_uid="segments-erase")
