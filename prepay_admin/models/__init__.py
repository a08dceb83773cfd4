"""The persistent domain model. Importing this package registers every table on ``Base.metadata``."""
from .institution import AnnualStanding, Bar, Institution, InstitutionCondition, MonthlyPayout, SecurityPledge
from .policy_override import PolicyOverride
from .region import FundPositionRecord, Region

__all__ = [
    "AnnualStanding", "Bar", "FundPositionRecord", "Institution", "InstitutionCondition",
    "MonthlyPayout", "PolicyOverride", "Region", "SecurityPledge",
]
