"""prepay-admin: the administration of the medical-insurance fund prepayment.

Kept free of imports so that the pure core (``prepay_admin.policy``) can be
used without pulling in Flask or SQLAlchemy; the app factory is in ``app.py``.
"""
