# Subcontractor and Task, moved here from the foreman app with their rows: the state is created over the foreman's
# tables (foreman_subcontractor, its sites table, foreman_task), which are then renamed after this app, and their
# content types follow so that permissions granted on them (the roles' groups) and history stay attached.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ('subcontractor', 'task')


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    ContentType.objects.using(schema_editor.connection.alias).filter(app_label='foreman', model__in=MOVED).update(
        app_label='subcontracting'
    )


def content_types_return(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label='subcontracting', model__in=MOVED
    ).update(app_label='foreman')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('foreman', '0007_subcontractor_task_moved_out'),
        ('site', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Subcontractor',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('modules', models.JSONField(blank=True, default=list, help_text='Task modules it may take, e.g. ipmi, iputils.')),
                        ('last_poll_at', models.DateTimeField(blank=True, null=True)),
                        ('last_address', models.GenericIPAddressField(blank=True, null=True)),
                        ('lost_at', models.DateTimeField(blank=True, help_text='When it was announced lost (subcontractor.lost) after it stopped polling.', null=True)),
                        ('created', models.DateTimeField(auto_now_add=True)),
                        ('updated', models.DateTimeField(auto_now=True)),
                        ('sites', models.ManyToManyField(related_name='subcontractors', to='site.site')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='subcontractor', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['name'],
                        'db_table': 'foreman_subcontractor',
                    },
                ),
                migrations.CreateModel(
                    name='Task',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('module', models.CharField(max_length=50)),
                        ('function', models.CharField(max_length=100)),
                        ('parameters', models.JSONField(blank=True, default=dict)),
                        ('cookie', models.CharField(max_length=64, unique=True)),
                        ('state', models.CharField(choices=[('pending', 'Pending: waiting for a subcontractor'), ('leased', 'Leased to a subcontractor'), ('done', 'Done: result waiting for the foreman'), ('failed', 'Failed: error waiting for the foreman'), ('applied', 'Applied to the job'), ('cancelled', 'Cancelled (stale cookie, rollback or job ended)')], default='pending', max_length=10)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('lease_expires', models.DateTimeField(blank=True, null=True)),
                        ('result', models.JSONField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('created', models.DateTimeField(auto_now_add=True)),
                        ('updated', models.DateTimeField(auto_now=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='foreman.job')),
                        ('leased_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tasks', to='subcontracting.subcontractor')),
                        ('site', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tasks', to='site.site')),
                    ],
                    options={
                        'ordering': ['created'],
                        'indexes': [models.Index(fields=['state', 'module', 'site'], name='task_poll_idx')],
                        'db_table': 'foreman_task',
                    },
                ),
            ],
            database_operations=[],
        ),
        # Renamed after this app (the subcontractor's sites table with it); rows, keys and indexes are kept.
        migrations.AlterModelTable(name='subcontractor', table=None),
        migrations.AlterModelTable(name='task', table=None),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
