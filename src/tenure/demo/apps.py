from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tenure.demo"
    label = "demo"
