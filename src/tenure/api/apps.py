from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tenure.api"
    label = "api"
    verbose_name = "REST API"
