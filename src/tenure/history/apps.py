from django.apps import AppConfig, apps


class HistoryConfig(AppConfig):
    name = "tenure.history"
    label = "history"
    verbose_name = "Change history"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tenure.history.tracked import TRACKED

        for label, options in TRACKED.items():
            model = apps.get_model(label)
            # Reverse relations (a customer's orders, tasks, transitions) are other records'
            # changes, each with its own history: never a field of this one.
            reverse = [
                field.name
                for field in model._meta.get_fields()
                if field.auto_created and not field.concrete
            ]
            exclude = [*options.get("exclude_fields", []), *reverse]
            auditlog.register(model, **{**options, "exclude_fields": exclude})
