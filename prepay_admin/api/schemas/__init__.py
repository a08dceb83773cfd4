"""The API's shapes, one module per resource module (``api/recovery.py`` → ``schemas/recovery.py``), and
what they share in ``schemas/common.py``: money as strings with two decimals, dates ISO, errors naming the field."""
