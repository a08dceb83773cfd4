"""Who of the demo's staff signs each level of a batch or a pre-settlement, in its chain's order (RULES §4:
the levels are the profile's; Nantong's has 财务管理部门审核申报 after the preparation)."""
from __future__ import annotations

from prepay_admin.services.demo_cycle import SIGNERS


def batch_signers(sessions, batch_id: int) -> tuple[str, ...]:
    from prepay_admin.services import batch

    return tuple(SIGNERS[level.department][0] for level in batch.chain_for(sessions, batch_id).levels)


def presettlement_signers(sessions, presettlement_id: int) -> tuple[str, ...]:
    from prepay_admin.services import presettlement

    return tuple(SIGNERS[level.department][0] for level in presettlement.chain_for(sessions, presettlement_id).levels)
