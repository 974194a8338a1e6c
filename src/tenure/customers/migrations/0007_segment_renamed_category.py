# The free-text ``segment`` is now ``category``, so that it is not confused with saved segments.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_consent_topics_evidence"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="customer", name="customer_segment"),
        migrations.RenameField(model_name="customer", old_name="segment", new_name="category"),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["category"], name="customer_category"),
        ),
    ]
