from django.apps import AppConfig

# Their changes keep a history like the customers' records (who, when, which fields).
TRACKED = ("Idea", "IdeaRequest")


class IdeasConfig(AppConfig):
    name = "tenure.ideas"
    label = "ideas"
    verbose_name = "Ideas board"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tenure.ideas import events

        assert events.IDEA_STATUS_CHANGED  # the kinds register on import
        for name in TRACKED:
            auditlog.register(self.get_model(name))
