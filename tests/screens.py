"""Signing in on the screens in tests, as a browser would: the form with its CSRF token."""
import re


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(client, username: str, password: str | None = None):
    """Sign ``client`` in (a demo user's password by default) and return the response."""
    return client.post("/login", data={"csrf_token": csrf_token(client), "username": username,
                                       "password": password or f"{username}-demo"})
