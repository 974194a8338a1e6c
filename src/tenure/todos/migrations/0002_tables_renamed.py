"""The tasks' tables take this app's names, and their content types follow them, so that their
change history, permissions and admin links go on pointing at them."""

from django.db import migrations


def content_types_move(apps, schema_editor, *, to: str, away: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("task", "taskcomment"):
        if content_type.objects.filter(app_label=to, model=model).exists():
            continue  # made by a post-migrate of this app already: nothing to carry over
        content_type.objects.filter(app_label=away, model=model).update(app_label=to)


def forwards(apps, schema_editor) -> None:
    content_types_move(apps, schema_editor, to="todos", away="lifecycle")


def backwards(apps, schema_editor) -> None:
    content_types_move(apps, schema_editor, to="lifecycle", away="todos")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("todos", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="task", table=None),
        migrations.AlterModelTable(name="taskcomment", table=None),
        migrations.RunPython(forwards, backwards),
    ]
