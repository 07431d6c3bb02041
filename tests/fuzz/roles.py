"""Which role calls each API path: the fuzz tests authenticate as the caller the API is for."""

API_CALLERS: dict[str, str] = {
    "/api/v1/driver/devices/login": "anonymous",
    "/api/v1/driver/": "driver",
    "/api/v1/dashboard/": "manager",
    "/api/v1/routes/": "office",
    "/api/v1/dispatch/": "office",  # planning: office staff and admins
}


def caller_for(path: str) -> str:
    """The role of the longest matching prefix; an API nobody listed fails the test that asks."""
    matches = [prefix for prefix in API_CALLERS if path == prefix or (prefix.endswith("/") and path.startswith(prefix))]
    if not matches:
        raise LookupError(f"No caller role is listed for {path}: add it to tests/fuzz/roles.py")
    return API_CALLERS[max(matches, key=len)]
