"""``python -m prepay_admin``: the same as the ``prepay-admin`` command."""
from .console import cli

cli()
