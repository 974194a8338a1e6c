from django.apps import AppConfig

# Their changes keep a history like the customers' records (who, when, which fields).
TRACKED = ("Idea", "IdeaRequest")


class IdeasConfig(AppConfig):
    name = "tenure.ideas"
    label = "ideas"
    verbose_name = "Ideas board"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tenure.ideas import events, signals
        from tenure.privacy.signals import person_erasing, person_exporting

        assert events.IDEA_STATUS_CHANGED  # the kinds register on import
        person_exporting.connect(signals.on_person_exporting, dispatch_uid="ideas-export")
        person_erasing.connect(signals.on_person_erasing, dispatch_uid="ideas-erase")
        for name in TRACKED:
            auditlog.register(self.get_model(name))
