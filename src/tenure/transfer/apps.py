from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "tenure.transfer"
    label = "transfer"

    def ready(self) -> None:
        from tenure.jobs.registry import run_kind_register
        from tenure.transfer.tasks import IMPORT_KIND, REVERT_KIND

        run_kind_register(IMPORT_KIND)
        run_kind_register(REVERT_KIND)
