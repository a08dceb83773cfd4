"""The ledger: append-only double-entry books for 暂付款—医保预付金 (RULES §7, 21§).

Knows nothing of Flask or of prepayment workflows. Workflows build an entry
with a posting template (``templates``, pure) and post it with ``ledger``;
reports read the books; ``verify`` recomputes every invariant.
"""
