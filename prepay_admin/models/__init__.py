"""The persistent domain model. Importing this package registers every table on ``Base.metadata``."""
from accounting import models as ledger  # noqa: F401  (the ledger's tables share the metadata)

from .agreement import Agreement
from .api_request import ApiRequest
from .audit import AuditEvent, JobRun, Notice, Transition, VerifiedHead
from .batch import BatchItem, PaymentBatch, PaymentInstruction, SignOff
from .calendar import CalendarDay, CalendarYear
from .campaign import Application, Campaign, Determination, DeterminationAdvance, FundGateRecord
from .data_import import DataCorrection, DataImport, ImportUpload
from .deposit import (
    DepositBilling,
    DepositCell,
    DepositComplaint,
    DepositFinding,
    DepositGroup,
    DepositRun,
    DepositStanding,
    Discharge,
    GrassrootsAmount,
    GrassrootsTable,
    PaymentStandard,
    PublishedDeposit,
)
from .document import IssuedDocument, RegionTemplate
from .institution import (
    AnnualClearing,
    AnnualStanding,
    Bar,
    ConditionLift,
    Institution,
    InstitutionCondition,
    MonthlyPayout,
    SecurityPledge,
)
from .policy_override import PolicyOverride
from .policy_profile import StoredProfile
from .recovery import (
    HeldPayment,
    PreSettlement,
    PreSettlementSignOff,
    Receivable,
    RecoveryMovement,
    RecoveryTrigger,
    SettlementLine,
    SettlementRun,
    YearEndRun,
)
from .region import FundPositionRecord, Region, RegionAccount
from .staff import DEPARTMENT_CN, ApiToken, Department, LoginAttempt, Staff, StaffRegion

__all__ = [
    "ApiRequest", "ApiToken", "AuditEvent", "LoginAttempt", "StaffRegion",
    "Agreement", "AnnualClearing", "AnnualStanding", "DataCorrection", "DataImport", "ImportUpload", "Application", "Bar", "BatchItem", "CalendarDay", "CalendarYear", "Campaign", "ConditionLift",
    "DEPARTMENT_CN", "Department", "DepositBilling", "DepositCell", "DepositComplaint", "DepositFinding", "DepositGroup", "DepositRun", "DepositStanding", "Determination", "Discharge", "GrassrootsAmount", "GrassrootsTable", "DeterminationAdvance", "FundGateRecord", "FundPositionRecord", "HeldPayment",
    "Institution", "InstitutionCondition", "IssuedDocument", "JobRun", "MonthlyPayout", "Notice", "PaymentBatch", "PaymentInstruction",
    "PaymentStandard", "PolicyOverride", "PreSettlement", "PublishedDeposit", "PreSettlementSignOff", "Receivable", "RecoveryMovement", "RecoveryTrigger", "Region", "RegionAccount", "RegionTemplate", "SettlementLine", "SettlementRun", "SecurityPledge", "SignOff", "Staff", "StoredProfile", "Transition", "VerifiedHead", "YearEndRun",
]
