from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "tenure.bulk"
    label = "bulk"
    verbose_name = "Bulk changes, undo and trash"

    def ready(self) -> None:
        from tenure.bulk import events, reversible, tasks
        from tenure.jobs.registry import run_kind_register

        assert events.CUSTOMER_RESTORED  # the kinds register on import
        assert reversible.__name__  # so do the reversals of what it logs
        run_kind_register(tasks.BULK_KIND)
        run_kind_register(tasks.BULK_ACCOUNTS_KIND)
        run_kind_register(tasks.BULK_TASKS_KIND)
        run_kind_register(tasks.BULK_ORDERS_KIND)
        run_kind_register(tasks.PURGE_KIND)
