from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "tenure.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from tenure.insights.tasks import FIT_KIND
        from tenure.jobs.registry import run_kind_register

        run_kind_register(FIT_KIND)
