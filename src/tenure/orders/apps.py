from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tenure.orders"
    label = "orders"
