from django.apps import AppConfig


class ThemesConfig(AppConfig):
    name = "tenure.themes"
    label = "themes"
    verbose_name = "Themes"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tenure.jobs.registry import run_kind_register
        from tenure.themes import events, sources, tasks

        assert events.RENAMED  # the kinds register on import
        run_kind_register(tasks.THEMES_KIND)
        sources.register_text_source(
            sources.SURVEY,
            sources.survey_comments,
            fetch=sources.survey_comments_fetch,
            label="Survey answer",
        )
        sources.register_text_source(
            sources.VOICE, sources.voice_texts, fetch=sources.voice_texts_fetch, label="Comment"
        )
        # A person's curation has a history; what each run rewrites (words) does not.
        auditlog.register(
            self.get_model("Theme"),
            m2m_fields={"tags"},
            exclude_fields=[
                "words", "terms", "seen_in_last_run", "last_seen_run", "updated_at",
                "merged_from", "assignments",  # reverse relations: other records' changes
            ],
        )  # fmt: skip
        auditlog.register(self.get_model("ThemeTag"), exclude_fields=["themes", "created_at"])
