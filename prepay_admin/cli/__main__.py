"""``python -m prepay_admin.cli``: the same as the ``prepay-admin`` command."""
from . import cli

cli()
