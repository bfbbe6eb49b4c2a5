import pytest
from django.urls import reverse

from conftest import grant
from profiles.models import Role
from profiles.tests.factories import BillingProfileFactory, UserFactory


@pytest.mark.django_db
def test_reader_sees_own_profile_and_not_a_stranger(client):
    mine, theirs = BillingProfileFactory(name="Marketing"), BillingProfileFactory(name="Secret R&D")
    reader = UserFactory()
    grant(reader, Role.READER, mine)
    client.force_login(reader)
    page = client.get(reverse("profiles:profile-list"))
    assert "Marketing" in page.text and "Secret R&amp;D" not in page.text
    assert client.get(reverse("profiles:profile-overview", args=[mine.pk])).status_code == 200
    assert client.get(reverse("profiles:profile-overview", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("profiles:profile-overview", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("profiles:profile-list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
