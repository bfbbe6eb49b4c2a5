from django.conf import settings


def site(request):
    return {"SUPPORT_URL": settings.SUPPORT_URL}
