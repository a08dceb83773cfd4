"""Acting at the console as a member of staff: a token, as ``prepay-admin login`` would store."""
from prepay_admin.services import identity


def token_for(app, username: str) -> str:
    """A bearer token for ``username`` (issued once per app and user)."""
    cache = app.extensions.setdefault("test_tokens", {})
    if username not in cache:
        cache[username] = identity.issue_token(app.extensions["prepay_sessions"], username, "test", "test")
    return cache[username]


def as_user(app, username: str) -> dict[str, str]:
    """The environment of a console session logged in as ``username``."""
    return {"PREPAY_TOKEN": token_for(app, username)}
