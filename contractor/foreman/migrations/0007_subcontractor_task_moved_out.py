# Subcontractor and Task move to contractor.subcontracting (its 0001 takes them over, tables and rows included).
# Only Django's model state changes here: the tables stay, and the subcontracting app renames them.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('foreman', '0006_subcontractor_lost_at'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Task'),
                migrations.DeleteModel(name='Subcontractor'),
            ],
            database_operations=[],
        ),
    ]
