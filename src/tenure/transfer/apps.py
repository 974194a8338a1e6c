from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "tenure.transfer"
    label = "transfer"
