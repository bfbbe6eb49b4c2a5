"""Invoices name their billing account (the profile's, at issue): the account page sums an account's unpaid
invoices from one covering index instead of joining its profiles. Existing invoices take their profile's account."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def account_from_profile(apps, schema_editor):
    Invoice = apps.get_model("invoicing", "Invoice")
    BillingProfile = apps.get_model("profiles", "BillingProfile")
    Invoice.objects.update(
        account_id=Subquery(BillingProfile.objects.filter(pk=OuterRef("profile_id")).values("account_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('invoicing', '0007_invoice_open_due_first'),
        ('profiles', '0006_invitations'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='account',
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name='invoices', to='profiles.billingaccount',
                                    verbose_name='billing account'),
        ),
        migrations.RunPython(account_from_profile, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='invoice',
            name='account',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name='invoices', to='profiles.billingaccount',
                                    verbose_name='billing account'),
        ),
        migrations.RemoveIndex(
            model_name='invoice',
            name='invoice_open_due_first',
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(condition=models.Q(('status__in', ('due', 'past_due'))),
                               fields=['account', 'due_date', 'number'], include=['currency', 'amount_due', 'status'],
                               name='invoice_open_by_account'),
        ),
    ]
