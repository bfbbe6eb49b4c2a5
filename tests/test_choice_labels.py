import pytest
from django.template import Context, Template
from django.utils import translation

from billing_admin.core.labels import choice_label
from invoicing.models import Invoice
from profiles.models import BillingProfile


@pytest.mark.parametrize("language", ["en", "nl"])
def test_choice_label_is_what_get_display_shows_in_each_language(language):
    with translation.override(language):
        for status in Invoice.Status.values:
            invoice = Invoice(status=status)
            assert choice_label(invoice, "status") == invoice.get_status_display()
        for status in BillingProfile.Status.values:
            profile = BillingProfile(status=status)
            assert choice_label(profile, "status") == profile.get_status_display()
        assert choice_label(Invoice(status="no-such-status"), "status") == "no-such-status"


def test_choice_label_follows_the_active_language_and_is_escaped_in_templates():
    invoice = Invoice(status=Invoice.Status.PAST_DUE)
    with translation.override("en"):
        english = choice_label(invoice, "status")
    with translation.override("nl"):
        dutch = choice_label(invoice, "status")
    assert english != dutch
    rendered = Template('{% load labels %}{{ invoice|choice_label:"status" }}').render(
        Context({"invoice": Invoice(status="<b>")}))
    assert rendered == "&lt;b&gt;"
