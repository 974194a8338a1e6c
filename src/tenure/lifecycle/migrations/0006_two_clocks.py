"""Two clocks for stage moves: ``at`` becomes ``recorded_at`` (when tenure stored the move),
``effective_at`` says when it happened in the customer's history (the moves stored before
knew only one clock: it is copied), ``superseded_at`` keeps the moves a replay replaced."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0005_account_health_drivers_help"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="stagetransition", name="transition_customer"),
        migrations.RemoveIndex(model_name="stagetransition", name="transition_to_stage"),
        migrations.RenameField(model_name="stagetransition", old_name="at", new_name="recorded_at"),
        migrations.AlterField(
            model_name="stagetransition",
            name="recorded_at",
            field=models.DateTimeField(help_text="when tenure stored it"),
        ),
        migrations.AddField(
            model_name="stagetransition",
            name="effective_at",
            field=models.DateTimeField(
                null=True, help_text="when it happened in the customer's history"
            ),
        ),
        migrations.RunSQL(
            "UPDATE lifecycle_stagetransition SET effective_at = recorded_at",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="stagetransition",
            name="effective_at",
            field=models.DateTimeField(help_text="when it happened in the customer's history"),
        ),
        migrations.AddField(
            model_name="stagetransition",
            name="superseded_at",
            field=models.DateTimeField(
                blank=True,
                null=True,
                help_text="when a replay of a corrected history replaced it",
            ),
        ),
        migrations.AlterModelOptions(
            name="stagetransition",
            options={"ordering": ["customer", "effective_at", "step", "id"]},
        ),
        migrations.AddIndex(
            model_name="stagetransition",
            index=models.Index(
                fields=["customer", "effective_at", "step"], name="transition_customer"
            ),
        ),
    ]
