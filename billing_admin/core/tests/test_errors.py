import pytest
from django.test import Client

from billing_admin.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "heading"), [("en", "Something went wrong"), ("nl", "Er ging iets mis")])
def test_a_server_error_page_links_the_help_page_in_the_users_language(monkeypatch, language, heading):

    def broken(user, **filters):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("profiles.views.profiles.profile_list_page", broken)
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    response = client.get("/billing/profiles/")
    assert response.status_code == 500
    assert heading in response.text
    assert 'href="/help/"' in response.text
    assert "the database went away" not in response.text
