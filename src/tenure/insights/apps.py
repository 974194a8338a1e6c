from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "tenure.insights"
    label = "insights"
    verbose_name = "Insights"
