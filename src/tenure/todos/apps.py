from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "tenure.todos"
    label = "todos"
    verbose_name = "Tasks"

    def ready(self) -> None:
        from tenure.privacy.signals import person_erasing, person_exporting
        from tenure.todos import events, signals

        assert events.TASK_ASSIGNED  # the kind registers on import

        person_exporting.connect(signals.on_person_exporting, dispatch_uid="todos-export")
        person_erasing.connect(signals.on_person_erasing, dispatch_uid="todos-erase")
