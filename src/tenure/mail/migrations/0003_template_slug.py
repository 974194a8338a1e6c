from django.db import migrations, models
from django.utils.text import slugify


def slugs_fill(apps, schema_editor):
    """Each existing template gets a slug from its name, made unique with a number."""
    Template = apps.get_model("mail", "Template")
    taken: set[str] = set()
    for template in Template.objects.order_by("pk"):
        base = (slugify(template.name) or "template")[:90]
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        template.slug = slug
        template.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [("mail", "0002_message_customer_due")]

    operations = [
        migrations.AddField(
            model_name="template",
            name="slug",
            field=models.SlugField(max_length=100, null=True, db_index=False),
        ),
        migrations.RunPython(slugs_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="template",
            name="slug",
            field=models.SlugField(
                help_text="how playbooks and broadcasts name it (welcome-introduction); from "
                "the name when left empty",
                max_length=100,
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="template",
            name="builtin",
            field=models.BooleanField(
                default=False, help_text="one of tenure's own, created at migrate if missing"
            ),
        ),
    ]
