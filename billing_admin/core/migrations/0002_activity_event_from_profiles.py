"""ActivityEvent now lives in core. profiles 0003 renamed its table to core_activityevent with every row;
this takes the model into core's state and moves its content type (and so its admin permissions)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, source='profiles', target='core'):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    if not ContentType.objects.filter(app_label=target, model='activityevent').exists():
        ContentType.objects.filter(app_label=source, model='activityevent').update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source='core', target='profiles')


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0001_initial'),
        ('profiles', '0003_activity_event_moves_to_core'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ActivityEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('actor_label', models.CharField(blank=True, max_length=200, verbose_name='actor')),
                        ('verb', models.CharField(max_length=60, verbose_name='verb')),
                        ('target_id', models.CharField(max_length=40)),
                        ('target_repr', models.CharField(max_length=200, verbose_name='target')),
                        ('changes', models.JSONField(blank=True, default=dict, verbose_name='changes')),
                        ('created', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='time')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('target_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
                        ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='activity', to='profiles.billingaccount')),
                        ('profile', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='activity', to='profiles.billingprofile')),
                    ],
                    options={
                        'verbose_name': 'activity event',
                        'verbose_name_plural': 'activity log',
                        'ordering': ['-created', '-pk'],
                        'indexes': [models.Index(fields=['target_type', 'target_id'], name='profiles_ac_target__489b5c_idx')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
