"""GIN indexes for the free-text search (``tenure.voices.search``), on PostgreSQL only: the
English ``tsvector`` of a voice's text and of a survey answer's comment, written as the
expression ``SearchVector(field, config="english")`` compiles to, so the search's
``@@`` uses them. SQLite has no such index; its search reads the rows it filters by words.
The answers' index is made here, beside the search that needs it (the feedback app has no
reason of its own to keep it)."""

from django.db import migrations

INDEXES = (
    ("voice_text_fts", "voices_voice", "text"),
    ("survey_comment_fts", "feedback_surveyresponse", "comment"),
)


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin "
            f"(to_tsvector('english'::regconfig, COALESCE({column}, '')))"
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("voices", "0001_voices_and_feedback_forms"),
        ("feedback", "0002_surveys_invitations_and_ces"),
    ]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
