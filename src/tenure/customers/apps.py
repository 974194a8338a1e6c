from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tenure.customers"
    label = "customers"
