# Stored lifecycle definitions that read the customer's ``segment`` now read ``category``
# (customers.0007 renamed the field and its fact); reason templates' ``{segment}`` likewise.

from typing import Any

from django.db import migrations


def _renamed(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {
            key: (new if key == "fact" and item == old else _renamed(item, old, new))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_renamed(item, old, new) for item in value]
    if isinstance(value, str):
        return value.replace("{" + old + "}", "{" + new + "}")
    return value


def _rename(apps: Any, old: str, new: str) -> None:
    definitions = apps.get_model("lifecycle", "LifecycleDefinition")
    for row in definitions.objects.only("pk", "definition").iterator():
        renamed = _renamed(row.definition, old, new)
        if renamed != row.definition:
            definitions.objects.filter(pk=row.pk).update(definition=renamed)


def forwards(apps: Any, schema_editor: Any) -> None:
    _rename(apps, "segment", "category")


def backwards(apps: Any, schema_editor: Any) -> None:
    _rename(apps, "category", "segment")


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0010_tasks_moved_to_todos"),
        ("customers", "0007_segment_renamed_category"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
