"""The functional core: prepayment rules as pure functions over frozen dataclasses.

Nothing here imports Flask, SQLAlchemy or does I/O (``tests/unit/test_purity.py``
enforces it). Every result carries the reasons that produced it.
"""
