"""Two indexes fewer on orders, each a write per order on import: the customer foreign key's
own index (order_customer_placed starts with the customer and serves the same lookups), and on
PostgreSQL the ``varchar_pattern_ops`` twin of the external id's unique index, which only a
``LIKE 'prefix%'`` search would use and nothing searches orders that way."""

import django.db.models.deletion
from django.db import migrations, models


def _drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("orders", "Order")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s",
            [table, f"{table}_external_id_%_like"],
        )
        names = [row[0] for row in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def _create_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("orders", "Order")._meta.db_table
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {table}_external_id_like "
        f"ON {table} (external_id varchar_pattern_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_cached_figures_unindexed"),
        ("orders", "0003_amount_not_negative"),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="customers.customer",
            ),
        ),
        migrations.RunPython(_drop_like_index, _create_like_index, elidable=False),
    ]
