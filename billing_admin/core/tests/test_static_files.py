"""Production serving: hashed, compressed static files collected and served by WhiteNoise."""

import gzip

from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

from billing_admin.core.tests.test_settings import run

MANIFEST = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def test_production_settings_use_hashed_compressed_static_files():
    result = run("shell", "-c", "from django.conf import settings as s; print(s.STORAGES['staticfiles']['BACKEND'])",
                 DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="billing.example.com")
    assert result.stdout.strip().splitlines()[-1] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_collected_static_files_have_hashed_names_and_are_served_compressed_for_a_year(tmp_path):
    with override_settings(STORAGES=MANIFEST, STATIC_ROOT=tmp_path, DEBUG=False, WHITENOISE_USE_FINDERS=False,
                           WHITENOISE_AUTOREFRESH=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        page = render_to_string("500.html")
        css_url = page.split('href="', 1)[1].split('"', 1)[0]
        assert css_url.startswith("/static/css/app.") and css_url.count(".") == 2  # app.<hash>.css
        middleware = WhiteNoiseMiddleware(lambda request: None)
        response = middleware(RequestFactory().get(css_url, HTTP_ACCEPT_ENCODING="gzip"))
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert b"{" in gzip.decompress(body)
