"""ActivityEvent moves to billing_admin.core: the table is renamed, its rows stay (core 0002 takes the model)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('profiles', '0002_po_number_characters'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name='activityevent', table='core_activityevent'),
            ],
            state_operations=[
                migrations.DeleteModel(name='ActivityEvent'),
            ],
        ),
    ]
