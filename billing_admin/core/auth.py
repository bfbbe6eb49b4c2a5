def axes_username(request, credentials) -> str:
    """Throttle per e-mail address, whatever its case."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(value).strip().lower()
