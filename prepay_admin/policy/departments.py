"""24§: the departments whose duties the prepayment divides, and their Chinese names."""
from __future__ import annotations

from enum import StrEnum


class Department(StrEnum):
    FUND_SETTLEMENT = "fund_settlement"  # 基金结算部门: eligibility, amounts, agreements, security (24§(二))
    FINANCE = "finance"  # 财务管理部门: solvency months, payment, clearance (24§(一))
    INTERNAL_AUDIT = "internal_audit"  # 内审部门: oversight of the payment process (24§(四))
    INSPECTION = "inspection"  # 稽核部门: evidence for 10§, triggers of 20§ (24§(三))
    ADMINISTRATION = "administration"  # 医保行政部门: confirms the list and amounts (15§(四))
    FINANCE_BUREAU = "finance_bureau"  # 财政部门: confirms the list and amounts (15§(四))
    AUDITOR = "auditor"  # 审计: reads everything, changes nothing
    ADMINISTRATOR = "administrator"  # 管理员: users and their regions, profiles and overrides, the calendar


DEPARTMENT_CN = {
    Department.FUND_SETTLEMENT: "基金结算部门", Department.FINANCE: "财务管理部门",
    Department.INTERNAL_AUDIT: "内审部门", Department.INSPECTION: "稽核部门",
    Department.ADMINISTRATION: "医保行政部门", Department.FINANCE_BUREAU: "财政部门", Department.AUDITOR: "审计",
    Department.ADMINISTRATOR: "管理员",
}

# who reads the audit trail of a region (审计, 内审, 管理员); the first and last also see the whole
# service's sign-ins, refusals and operator commands
OVERSEERS = frozenset({Department.AUDITOR, Department.INTERNAL_AUDIT, Department.ADMINISTRATOR})
WHOLE_SERVICE = frozenset({Department.AUDITOR, Department.ADMINISTRATOR})
