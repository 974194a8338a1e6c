from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "tenure.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from tenure.facts import fact_provider_register
        from tenure.insights.facts import PROVIDER
        from tenure.insights.tasks import FIT_KIND
        from tenure.jobs.registry import run_kind_register

        run_kind_register(FIT_KIND)
        fact_provider_register(PROVIDER)
