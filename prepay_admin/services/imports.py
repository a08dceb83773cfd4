"""Importing a region's data from the files staff already have, all or nothing and safe to repeat.

One import is one step of its owning department (24§) in one transaction. The file is read as a
stream in chunks; each chunk costs a bounded number of statements (resolve the codes, fetch what is
recorded under its keys, stage its keys, write), so the cost grows with the file and memory does
not. Every error is collected (row, column, message); if there is any, or on a dry run, the
transaction is rolled back and nothing is written. A row that would change recorded data is refused
unless the import is a correction with a reason, which keeps the earlier version. Determinations keep
the frozen snapshot of the facts they judged, so nothing here changes what a fixed list used; a
security a determination was capped by cannot be corrected.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any, BinaryIO, Callable

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..config import pseudonym_key
from ..db import bind_processors, bulk_insert, driver_rows_by_key
from ..intake.compiled import fast_readers, in_fen
from ..intake.kinds import KINDS, ImportKind, discharge_clean
from ..intake.reading import FileProblem, RowError, converted, records
from ..models import (
    AnnualClearing,
    AnnualStanding,
    Bar,
    DataCorrection,
    DataImport,
    DepositComplaint,
    Determination,
    Discharge,
    FundPositionRecord,
    ImportUpload,
    Institution,
    InstitutionCondition,
    MonthlyPayout,
    PaymentStandard,
    PublishedDeposit,
    Region,
    SecurityPledge,
)
from ..policy.deposit import InsuranceClass
from .errors import NotFound, ServiceError
from .unit_of_work import find_region, staff_step

CHUNK = 2000
COMPILED = {"discharges"}  # the kinds read column by column and written as stored (``_load_discharges``)
ERRORS_LISTED = 1000  # a report lists this many errors, and counts them all, by kind
CHANGES_LISTED = 200


@dataclass(frozen=True)
class Target:
    """Where a kind's rows are kept: the model, the attributes that identify a row, those it records."""

    model: type
    key: tuple[str, ...]
    values: tuple[str, ...]
    region_scoped: bool = False  # rows carry region_id (else they belong to an institution of the region)


TARGETS = {
    "institutions": Target(Institution, ("code",), ("name", "credit_code", "kind", "level", "state_run",
                                                     "settled_since", "bank_name", "bank_account"), True),
    "standings": Target(AnnualStanding, ("institution_id", "year"), ("assessment", "performance_score",
                                                                     "credit_grade")),
    "conditions": Target(InstitutionCondition, ("institution_id", "year", "flag"), ("evidence", "registered_on")),
    "securities": Target(SecurityPledge, ("institution_id", "registration_ref"), ("kind", "value", "valid_from",
                                                                                    "valid_until")),
    "bars": Target(Bar, ("institution_id", "since"), ("until", "reason", "decision_ref")),
    "funds": Target(FundPositionRecord, ("year", "fund"), ("cumulative_surplus", "monthly_expenditure",
                                                           "last_year_current_balance", "projected_current_balance"),
                    True),
    "settlement": Target(MonthlyPayout, ("institution_id", "month", "fund"), ("amount", "out_of_region")),
    "clearing": Target(AnnualClearing, ("institution_id", "year", "fund"), ("amount",)),
    # DEPOSIT.md: a settlement is identified by its id's keyed hash; a later file correcting one is a correction
    "discharges": Target(Discharge, ("settlement_key",), (
        "institution_id", "visit_key", "original_key", "refund", "insurance_class", "insured_region", "out_of_region",
        "medical_category", "admitted_on", "discharged_on", "settled_at", "department", "diagnosis", "procedure",
        "group_code", "group_version", "total", "fund_paid", "personal_burden", "copay", "self_pay", "account_paid",
        "cash_paid", "hospital_borne"), True),
    "deposit-tables": Target(PublishedDeposit, ("institution_id", "group_code", "insurance_class", "effective_on"),
                             ("amount", "basis", "prior_standard")),
    "payment-standards": Target(PaymentStandard, ("group_code", "insurance_class", "year"), ("standard",), True),
    "complaints": Target(DepositComplaint, ("institution_id", "month"), ("verified",)),
}


@dataclass(frozen=True)
class ChangeLine:
    row: int
    key: str
    field: str  # the column header
    before: str
    after: str


@dataclass(frozen=True)
class ImportReport:
    kind: str
    title: str
    file_name: str
    sha256: str
    rows: int
    added: int
    changed: int
    unchanged: int
    errors: tuple[RowError, ...]  # the first ERRORS_LISTED
    error_count: int
    changes: tuple[ChangeLine, ...]  # the first CHANGES_LISTED
    dry_run: bool
    correction: bool
    applied: bool
    import_id: int | None
    seen_before: bool  # a file with these very bytes was imported into the region before
    # every error counted by column and kind, the most frequent first: a systematically bad file at a glance
    error_kinds: tuple[tuple[str, str, int], ...] = ()

    @property
    def message(self) -> str:
        if self.error_count:
            return f"文件有 {self.error_count} 处错误，整个文件未导入，请改正后重新导入。"
        counts = f"新增 {self.added} 行，更改 {self.changed} 行，与已登记数据相同 {self.unchanged} 行"
        if self.dry_run:
            return f"试导入（未写入）：{counts}。"
        if not self.added and not self.changed:
            again = "该文件此前已导入，" if self.seen_before else ""
            return f"{again}与已登记数据完全一致，未做任何更改（共 {self.rows} 行）。"
        return f"已导入：{counts}。"


@dataclass
class _Tally:
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[ChangeLine] = field(default_factory=list)

    kinds: Counter = field(default_factory=Counter)

    def error(self, error: RowError) -> None:
        self.error_count += 1
        self.kinds[(error.column, _kind_of(error.message))] += 1
        if len(self.errors) < ERRORS_LISTED:
            self.errors.append(error)


def _kind_of(message: str) -> str:
    """A message without its values (“H3206… 不是本统筹地区的…” and “H3207… 不是…” are one kind of error)."""
    return re.sub(r"“[^”]*”|[A-Za-z0-9][A-Za-z0-9.:/_-]*", "…", message)[:80]


class _RolledBack(Exception):
    """Carries the report out of the step, whose transaction is then rolled back."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report


def kind_of(name: str) -> ImportKind:
    if name not in KINDS:
        raise ServiceError(f"没有“{name}”这种导入（可导入：{'、'.join(KINDS)}）", "kind")
    return KINDS[name]


def digest(stream: BinaryIO) -> str:
    sha = hashlib.sha256()
    while block := stream.read(1 << 20):
        sha.update(block)
    stream.seek(0)
    return sha.hexdigest()


def import_file(sessions: sessionmaker, user: str, region_code: str, kind_name: str, file_name: str,
                stream: BinaryIO, *, dry_run: bool = False, correct: bool = False, reason: str = "",
                progress: Callable[[int], None] = lambda n: None) -> ImportReport:
    """Import one file of ``kind_name`` into the region as ``user``; the report says what it did."""
    kind = kind_of(kind_name)
    reason = (reason or "").strip()
    if correct and not reason:
        raise ServiceError("更正导入须说明原因", "reason")
    if len(reason) > 500:
        raise ServiceError("原因不能超过 500 个字符", "reason")
    file_name = (file_name or "上传文件")[-200:]
    sha = digest(stream)
    try:
        with staff_step(sessions, user, kind.owner) as step:
            region = find_region(step.session, region_code)
            step.enter(region)
            # one import at a time per region: two concurrent files cannot both add the same row
            step.lock_region()
            report = _run(step.session, region, kind, file_name, sha, stream, dry_run, correct, reason, user,
                          progress)
            if report.error_count or dry_run:
                raise _RolledBack(report)
            return report
    except _RolledBack as done:
        return done.report
    except FileProblem as err:
        raise ServiceError(str(err), "file") from None


def _run(session: Session, region: Region, kind: ImportKind, file_name: str, sha: str, stream: BinaryIO,
         dry_run: bool, correct: bool, reason: str, user: str, progress) -> ImportReport:
    target = TARGETS[kind.name]
    tally = _Tally()
    staged = _staging_table()
    connection = session.connection()
    staged.create(connection)
    originals = _originals_table()
    if kind.name == "discharges":
        originals.create(connection)
    load = _load_discharges if kind.name in COMPILED else _load
    corrections = load(session, region, kind, target, stream, staged, originals, tally, dry_run, correct, progress)
    _duplicates(connection, staged, kind, tally)
    if kind.name == "discharges":
        _unlinked(connection, staged, originals, region.id, tally)
        originals.drop(connection)
    staged.drop(connection)
    seen = session.scalar(select(func.count()).select_from(DataImport).where(
        DataImport.region_id == region.id, DataImport.file_sha256 == sha)) > 0
    import_id = None
    if not tally.error_count and not dry_run and (tally.added or tally.changed):
        record = DataImport(region_id=region.id, kind=kind.name, file_name=file_name, file_sha256=sha, rows=tally.rows,
                            added=tally.added, changed=tally.changed, unchanged=tally.unchanged, correction=correct,
                            reason=reason or None, imported_by=user)
        session.add(record)
        session.flush()
        import_id = record.id
        if corrections:
            session.execute(insert(DataCorrection), [dict(c, import_id=import_id) for c in corrections])
    return ImportReport(kind.name, kind.title, file_name, sha, tally.rows, tally.added, tally.changed,
                        tally.unchanged, tuple(tally.errors), tally.error_count, tuple(tally.changes), dry_run, correct,
                        import_id is not None, import_id, seen,
                        tuple((column, kind_, n) for (column, kind_), n in tally.kinds.most_common()))


def _load(session: Session, region: Region, kind: ImportKind, target: Target, stream: BinaryIO, staged: Table,
          originals: Table, tally: _Tally, dry_run: bool, correct: bool, progress) -> list[dict[str, Any]]:
    """Read, check and write the file chunk by chunk, each cell through its column's reader and each value
    through its column type; the corrections it makes, to record."""
    connection = session.connection()
    writer = _Writer(connection, target.model.__table__)
    corrections: list[dict[str, Any]] = []
    parsed = records(kind, stream)
    while chunk := list(islice(parsed, CHUNK)):
        tally.rows += len(chunk)
        for p in chunk:
            for e in p.errors:
                tally.error(e)
        good = [p for p in chunk if p.record is not None]
        rows = _bind(session, region, kind, good, tally)
        if rows:
            bulk_insert(connection, staged, ("row_no", "row_key", "row_group", "row_refund"),
                        [(n, _key_text(target, r), r.get("visit_key"), 1 if r.get("refund") else 0) for n, r, _ in rows])
        if kind.name == "discharges":
            linked = [(n, r["original_key"], r["visit_key"]) for n, r, _ in rows if r["original_key"]]
            if linked:
                bulk_insert(connection, originals, ("row_no", "original_key", "visit_key"), linked)
        new, changed = _classify(connection, region, kind, target, rows, tally, correct)
        if not tally.error_count and not dry_run:
            writer.insert(new)
            for recorded, values, record in changed:
                corrections.append(_correction(kind, recorded, values, _label(kind, record, dict(recorded._mapping))))
                session.execute(update(target.model).where(*_identity(target, recorded)).values(**values))
        progress(len(chunk))
    return corrections


# the discharges' columns as read (the kind's order) and as stored: ``_StoredDischarges`` turns one into the other
DISCHARGE_FIELDS = ("settlement_id", "visit_id", "original_id", "refund", "institution_code", "insurance_class",
                    "insured_region", "medical_category", "admitted_on", "discharged_on", "settled_at", "department",
                    "diagnosis", "procedure", "group_code", "group_version", "total", "fund_paid", "personal_burden",
                    "copay", "self_pay", "account_paid", "cash_paid", "hospital_borne")
DISCHARGE_STORED = ("region_id", "settlement_key") + TARGETS["discharges"].values
REMEMBERED = 4096  # dates, regions, codes a file's load remembers (then it starts afresh: memory stays bounded)


class _StoredDischarges:
    """A file's settlements as the database stores them (``DISCHARGE_STORED``: ids as pseudonyms, 异地 from the
    insured region, amounts in fen, dates and times as the dialect keeps them), each conversion set up once
    per file: what ``discharge_row`` and the column types' bind processing give, value for value."""

    def __init__(self, connection, region: Region, kind: ImportKind) -> None:
        fields = tuple(c.field for c in kind.columns)
        if fields != DISCHARGE_FIELDS or tuple(in_fen(c) for c in kind.columns[16:]) != (True,) * 8:
            raise AssertionError(f"the discharges' columns changed: {fields}")  # (``row`` unpacks them in order)
        processors = bind_processors(Discharge.__table__, DISCHARGE_STORED, connection.dialect)
        self.region, self.region_id, self.region_code = region, region.id, region.code
        self.key = pseudonymiser(region.code)
        self.flag = {b: processors["refund"](b) for b in (False, True)}
        self.kept = {b: processors["out_of_region"](b) for b in (False, True)}
        self.classes = {c: processors["insurance_class"](c) for c in InsuranceClass}
        self.date, self.moment = processors["admitted_on"], processors["settled_at"]
        self.dates: dict[dt.date, Any] = {}
        self.elsewhere: dict[str, Any] = {}

    def row(self, v: list[Any], institution_id: int) -> tuple[Any, ...]:
        """The stored row of the settlement whose values (as read) are ``v``."""
        (settlement, visit, original, refund, _, insurance_class, area, category, admitted, discharged, settled,
         department, diagnosis, procedure, group, version, *amounts) = v
        dates = self.dates
        if admitted not in dates or discharged not in dates:
            if len(dates) >= REMEMBERED:
                dates.clear()
            dates[admitted], dates[discharged] = self.date(admitted), self.date(discharged)
        elsewhere = self.elsewhere.get(area)
        if elsewhere is None:
            if len(self.elsewhere) >= REMEMBERED:
                self.elsewhere.clear()
            elsewhere = self.elsewhere[area] = self.kept[not insured_here(self.region_code, area)]
        key = self.key
        return (self.region_id, key(settlement), institution_id, key(visit), key(original) if original else None,
                self.flag[bool(refund)], self.classes[insurance_class], area, elsewhere, category, dates[admitted],
                dates[discharged], self.moment(settled), department, diagnosis, procedure, group, version, *amounts)

    def values(self, v: list[Any], institution_id: int) -> dict[str, Any]:
        """The model's values of the same settlement (``discharge_row``: amounts as ``Decimal`` yuan)."""
        record = dict(zip(DISCHARGE_FIELDS, v))
        for field_ in DISCHARGE_FIELDS[16:]:
            record[field_] = Decimal(record[field_]).scaleb(-2)
        record.pop("institution_code")
        record["institution_id"] = institution_id
        return discharge_row(self.region, record)


def _load_discharges(session: Session, region: Region, kind: ImportKind, target: Target, stream: BinaryIO,
                     staged: Table, originals: Table, tally: _Tally, dry_run: bool, correct: bool,
                     progress) -> list[dict[str, Any]]:
    """``_load`` of a file of settlements, column by column: each cell through its column's converter chosen
    once for the file (``intake.compiled``), each row straight into what the database stores, read, staged,
    compared with what is recorded and written through the driver (COPY on PostgreSQL, ``executemany``
    elsewhere) chunk by chunk, nothing held from one chunk to the next. The same checks, errors (in the same
    order), counts and writes as ``_load``; a row that differs from the recorded one goes through ``_classify``."""
    connection = session.connection()
    form = _StoredDischarges(connection, region, kind)
    institutions: dict[str, int | None] = {}
    code_at = DISCHARGE_FIELDS.index("institution_code")
    compared = len(DISCHARGE_STORED) - 2  # what is recorded: the values after region and key
    corrections: list[dict[str, Any]] = []
    parsed = converted(kind, stream, fast_readers(kind), discharge_clean(DISCHARGE_FIELDS))
    while chunk := list(islice(parsed, CHUNK)):
        tally.rows += len(chunk)
        for _, _, errors in chunk:
            for e in errors:
                tally.error(e)
        codes = {v[code_at] for _, v, _ in chunk if v is not None and v[code_at] not in institutions}
        if len(institutions) + len(codes) > REMEMBERED:
            institutions.clear()  # bounded: a file of unknown codes holds no more than a chunk's
            codes = {v[code_at] for _, v, _ in chunk if v is not None}
        if codes:
            found = dict(driver_rows_by_key(connection, "institution", ("code", "id"), "code", sorted(codes),
                                            region_id=region.id))
            institutions.update((code, found.get(code)) for code in codes)
        rows = []  # (row, values as read, as stored)
        for row_no, v, _ in chunk:
            if v is None:
                continue
            institution_id = institutions[v[code_at]]
            if institution_id is None:
                tally.error(RowError(row_no, "机构编码", f"{v[code_at]} 不是本统筹地区的定点医药机构（请先导入定点医药机构）"))
                continue
            rows.append((row_no, v, form.row(v, institution_id)))
        bulk_insert(connection, staged, ("row_no", "row_key", "row_group", "row_refund"),
                    [(n, s[1], s[3], 1 if v[3] else 0) for n, v, s in rows])
        bulk_insert(connection, originals, ("row_no", "original_key", "visit_key"),
                    [(n, s[4], s[3]) for n, _, s in rows if s[4] is not None])
        recorded = {r[1]: r[2:] for r in driver_rows_by_key(  # (the region's: filtered here, see there)
            connection, "discharge", DISCHARGE_STORED, "settlement_key", [s[1] for _, _, s in rows])
            if r[0] == region.id}
        new, differing, seen = [], [], set()
        for row_no, v, s in rows:
            key = s[1]
            if key in seen:
                continue  # a repeat within the file: reported as such once the whole file is staged
            seen.add(key)
            before = recorded.get(key)
            if before is None:
                new.append(s)
            elif len(before) == compared and before == s[2:]:
                tally.unchanged += 1
            else:  # (or stored otherwise than this import would: the model's values decide)
                values = form.values(v, s[2])
                differing.append((row_no, values, values))
        tally.added += len(new)
        changed = _classify(connection, region, kind, target, differing, tally, correct)[1] if differing else []
        if not tally.error_count and not dry_run:
            bulk_insert(connection, Discharge.__table__, DISCHARGE_STORED, new)
            for before_, values, record in changed:
                corrections.append(_correction(kind, before_, values, _label(kind, record, dict(before_._mapping))))
                session.execute(update(target.model).where(*_identity(target, before_)).values(**values))
        progress(len(chunk))
    return corrections


def _staging_table() -> Table:
    """Each row's key, to find duplicates within the file with one query however large the file."""
    return Table(f"import_keys_{uuid.uuid4().hex[:12]}", MetaData(), Column("row_no", Integer),
                 Column("row_key", String(300)), Column("row_group", String(64)), Column("row_refund", Integer),
                 prefixes=["TEMPORARY"])


def _originals_table() -> Table:
    """A refund's or re-settlement's 原结算ID (as its pseudonym) with its visit, to find in one query those
    that name a settlement neither the file nor the region holds."""
    return Table(f"import_originals_{uuid.uuid4().hex[:12]}", MetaData(), Column("row_no", Integer),
                 Column("original_key", String(64)), Column("visit_key", String(64)), prefixes=["TEMPORARY"])


def _unlinked(connection, staged: Table, originals: Table, region_id: int, tally: _Tally) -> None:
    """DEPOSIT.md: a refund or re-settlement corrects a settlement (not itself, not another refund) of the same
    visit (就诊ID), in this file or imported into the region before; one that names another (or none the
    bureau holds) would net against nothing."""
    if connection.scalar(select(originals.c.row_no).limit(1)) is None:
        return
    # each refund looks its original up among the file's keys: indexed, or a month's file with 5% refunds
    # read the whole staged file once per refund (2,000 refunds in 42,000 rows: 8 s)
    Index(f"{staged.name}_key", staged.c.row_key).create(connection)
    in_file = select(staged.c.row_no).where(staged.c.row_key == originals.c.original_key,
                                            staged.c.row_group == originals.c.visit_key,
                                            staged.c.row_no != originals.c.row_no, staged.c.row_refund == 0).exists()
    held = select(Discharge.id).where(Discharge.settlement_key == originals.c.original_key,
                                      Discharge.visit_key == originals.c.visit_key, Discharge.region_id == region_id,
                                      Discharge.refund.is_(False)).exists()
    for (row_no,) in connection.execute(select(originals.c.row_no).where(~in_file, ~held)
                                        .order_by(originals.c.row_no)):
        tally.error(RowError(row_no, "原结算ID", "所冲销的原结算在本文件和已导入的住院结算中都找不到（须为同一就诊ID的另一笔结算，不能是退费记录）"))


def _label(kind: ImportKind, record: dict, values: dict | None = None) -> str:
    """A row's key as staff read it: 机构编码 / 年度 … (a settlement by its pseudonym: its id is never kept)."""
    if kind.name == "discharges" and values is not None:
        return f"结算 {values['settlement_key'][:16]}"
    return " / ".join(str(kind.column(f).display(record[f])) for f in kind.key)


def _bind(session: Session, region: Region, kind: ImportKind, good, tally: _Tally) -> list[tuple[int, dict, dict]]:
    """Records as the model's attributes (机构编码 resolved to the region's institution), beside the records."""
    out = []
    if kind.name == "institutions":
        for p in good:
            values = dict(p.record)
            values["code"] = values.pop("institution_code")
            out.append((p.row, dict(values, region_id=region.id), p.record))
        return out
    if not kind.by_institution:
        return [(p.row, dict(p.record, region_id=region.id), p.record) for p in good]
    codes = {p.record["institution_code"] for p in good}
    ids = dict(session.execute(select(Institution.code, Institution.id).where(
        Institution.region_id == region.id, Institution.code.in_(codes))).all()) if codes else {}
    for p in good:
        values = dict(p.record)
        code = values.pop("institution_code")
        if code not in ids:
            tally.error(RowError(p.row, "机构编码", f"{code} 不是本统筹地区的定点医药机构（请先导入定点医药机构）"))
            continue
        values["institution_id"] = ids[code]
        if kind.name == "discharges":
            values = discharge_row(region, values)
        elif kind.name in ("deposit-tables", "complaints"):
            values["region_id"] = region.id
        out.append((p.row, values, p.record))
    return out


def insured_here(region_code: str, insured_region: str) -> bool:
    """Whether a patient insured in ``insured_region`` (6-digit 医保区划) belongs to the pooling region: under
    city-level pooling (320600) its counties (320681) are local, under provincial pooling (320000) all of it;
    anything else is 异地 (DEPOSIT.md rule 1: counted apart)."""
    code = region_code[:6]
    if code.endswith("0000"):
        return insured_region[:2] == code[:2]
    if code.endswith("00"):
        return insured_region[:4] == code[:4]
    return insured_region == code


def pseudonym(region_code: str, raw: str) -> str:
    """A settlement's or visit's id as the bureau keeps it (DEPOSIT.md: never the id itself): HMAC-SHA256 of
    the region and the id under the installation's pseudonym key (``config.pseudonym_key``, kept outside the
    database), the same for the same id in every file of the region; without the key, the ids cannot be
    recovered by trying them."""
    return hmac.new(pseudonym_key(), f"{region_code}/{raw}".encode(), hashlib.sha256).hexdigest()


def pseudonymiser(region_code: str) -> Callable[[str], str]:
    """``pseudonym`` for a whole file: the key read once and its HMAC pads hashed once (RFC 2104), each id then
    costing two copies of a hash state."""
    key = pseudonym_key()
    if len(key) > 64:  # SHA-256's block
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(f"{region_code}/".encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def of(raw: str) -> str:
        digest_ = inner.copy()
        digest_.update(raw.encode())
        result = outer.copy()
        result.update(digest_.digest())
        return result.hexdigest()

    return of


def discharge_row(region: Region, values: dict) -> dict:
    """A settlement's record as it is stored: its ids as pseudonyms, 异地 from the insured region."""
    out = dict(values, region_id=region.id, refund=bool(values.get("refund")),
               out_of_region=not insured_here(region.code, values["insured_region"]),
               settlement_key=pseudonym(region.code, values.pop("settlement_id")),
               visit_key=pseudonym(region.code, values.pop("visit_id")))
    original = out.pop("original_id")
    out["original_key"] = pseudonym(region.code, original) if original else None
    return out


def _key_text(target: Target, values: dict) -> str:
    return "\x1f".join(str(values[k]) for k in target.key)[:300]


def _classify(connection, region: Region, kind: ImportKind, target: Target, rows, tally: _Tally,
              correct: bool) -> tuple[list, list]:
    """New rows, and (recorded row, new values, record) for those that differ; unchanged ones only counted.

    What is recorded is fetched by one query per chunk: each key column among the chunk's values (a
    superset, narrowed here to the exact keys), never one query per row."""
    if not rows:
        return [], []
    table = target.model.__table__
    where = [table.c[k].in_({r[k] for _, r, _ in rows}) for k in target.key]
    if target.region_scoped:
        where.append(table.c.region_id == region.id)
    width, fields = len(target.key), target.values
    columns = [table.c[k] for k in target.key] + [table.c[f] for f in fields] + (
        [table.c.id] if "id" in table.c else [])
    existing = {tuple(row[:width]): row for row in connection.execute(select(*columns).where(*where))}
    used = _securities_in_use(connection, [m.id for m in existing.values()]) if kind.name == "securities" else set()
    new, changed, seen = [], [], set()
    for row_no, values, record in rows:
        key = tuple(values[k] for k in target.key)
        if key in seen:
            continue  # a repeat within the file: reported as such once the whole file is staged
        seen.add(key)
        recorded = existing.get(key)
        if recorded is None:
            new.append(values)
            tally.added += 1
            continue
        if all(recorded[width + j] == values[f] for j, f in enumerate(fields)):
            tally.unchanged += 1
            continue
        differs = {f: values[f] for j, f in enumerate(fields) if recorded[width + j] != values[f]}
        if not differs:
            tally.unchanged += 1
            continue
        tally.changed += 1
        label = _label(kind, record, values)
        for f, after in differs.items():
            if len(tally.changes) < CHANGES_LISTED:
                tally.changes.append(ChangeLine(row_no, label, _header(kind, f), _shown(getattr(recorded, f)),
                                                _shown(after)))
        if not correct:  # (``fields`` stays the compared columns: a second changed row read it again)
            named = "、".join(_header(kind, f) for f in differs)
            tally.error(RowError(row_no, _header(kind, next(iter(differs))),
                                 f"与已登记数据不一致（{named}）；如确需更正，请以“更正”方式导入并说明原因"))
        elif getattr(recorded, "id", None) in used:
            tally.error(RowError(row_no, "登记编号", "该担保、抵押已被预付金核定使用，不能更正；请办理续保或替换"))
        else:
            changed.append((recorded, differs, record))
    return new, changed


class _Writer:
    """Inserts a chunk's new rows as the database stores them (COPY on PostgreSQL, ``executemany``
    elsewhere): each value through its column's own bind processing, computed once per import, and
    the columns' Python-side defaults filled in."""

    def __init__(self, connection, table: Table) -> None:
        self.connection, self.table = connection, table
        dialect = connection.dialect
        # the dialect's own implementation of each type: a UTC timestamp stored on SQLite as the ORM stores it
        # (the bare decorator's processor skipped it, and SQL comparisons of the two spellings went wrong)
        self.processors = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns}
        self.defaults = {c.name: c.default for c in table.columns
                         if c.default is not None and not c.primary_key}

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        names = list(rows[0]) + [n for n in self.defaults if n not in rows[0]]
        filled = {n: (d.arg(None) if d.is_callable else d.arg) for n, d in self.defaults.items() if n not in rows[0]}
        processors = [self.processors[n] for n in names]
        raw = []
        for row in rows:
            values = [row[n] if n in row else filled[n] for n in names]
            raw.append(tuple(p(v) if p else v for p, v in zip(processors, values)))
        bulk_insert(self.connection, self.table, names, raw)


def _identity(target: Target, recorded) -> list:
    """The WHERE that names exactly this recorded row (its id, or its natural key where it has no id)."""
    model = target.model
    if hasattr(model, "id"):
        return [model.id == recorded.id]
    return [getattr(model, k) == getattr(recorded, k) for k in target.key]


def _securities_in_use(connection, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(connection.execute(select(Determination.security_id).where(Determination.security_id.in_(ids)))
               .scalars())


def _correction(kind: ImportKind, recorded, values: dict, label: str) -> dict[str, Any]:
    return {"record_key": label[:200],
            "before_json": json.dumps({_header(kind, f): _shown(getattr(recorded, f)) for f in values},
                                      ensure_ascii=False),
            "after_json": json.dumps({_header(kind, f): _shown(v) for f, v in values.items()}, ensure_ascii=False)}


def _duplicates(connection, staged: Table, kind: ImportKind, tally: _Tally) -> None:
    """Rows whose key an earlier row of the same file already had."""
    first = (select(staged.c.row_key, func.min(staged.c.row_no).label("first_row"))
             .group_by(staged.c.row_key).having(func.count() > 1).subquery())
    for row_no, first_row in connection.execute(
            select(staged.c.row_no, first.c.first_row).join(first, first.c.row_key == staged.c.row_key)
            .where(staged.c.row_no != first.c.first_row).order_by(staged.c.row_no)):
        headers = "、".join(kind.column(f).header for f in kind.key)
        tally.error(RowError(row_no, kind.column(kind.key[0]).header, f"与第 {first_row} 行重复（{headers}相同）"))


def _header(kind: ImportKind, attribute: str) -> str:
    name = "institution_code" if attribute == "code" else attribute
    return next((c.header for c in kind.columns if c.field == name), attribute)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value)


# -- on screen: upload, preview, confirm ------------------------------------------------------------

@dataclass(frozen=True)
class Previewed:
    report: ImportReport
    upload_id: int | None  # the stored upload to confirm (None: the file has errors, nothing to confirm)


def preview_upload(sessions: sessionmaker, user: str, region_code: str, kind_name: str, file_name: str,
                   data: bytes, *, correct: bool = False, reason: str = "") -> Previewed:
    """A dry run of the uploaded bytes; a clean file is kept so that confirming imports exactly it."""
    report = import_file(sessions, user, region_code, kind_name, file_name, io.BytesIO(data), dry_run=True,
                         correct=correct, reason=reason)
    if report.error_count:
        return Previewed(report, None)
    with staff_step(sessions, user, KINDS[kind_name].owner) as step:
        region = find_region(step.session, region_code)
        step.enter(region)
        # one file waits per person, region and kind: a new preview replaces the one not confirmed
        step.session.execute(delete(ImportUpload).where(ImportUpload.uploaded_by == user,
                                                        ImportUpload.region_id == region.id,
                                                        ImportUpload.kind == kind_name))
        upload = ImportUpload(region_id=region.id, kind=kind_name, file_name=report.file_name, file_sha256=report.sha256,
                              content=data, uploaded_by=user)
        step.session.add(upload)
        step.session.flush()
        return Previewed(report, upload.id)


def confirm_upload(sessions: sessionmaker, user: str, upload_id: int, *, correct: bool = False,
                   reason: str = "") -> ImportReport:
    """Import the previewed upload: only its kind's department (24§), and only whoever uploaded it."""
    with sessions() as session:
        upload = session.get(ImportUpload, upload_id)
        if upload is None:
            raise NotFound("没有待确认的导入文件（可能已导入或已过期），请重新上传", "upload")
        region_code = session.get(Region, upload.region_id).code
        kind_name, file_name, content, uploader = upload.kind, upload.file_name, upload.content, upload.uploaded_by
    with staff_step(sessions, user, KINDS[kind_name].owner) as step:
        step.enter(find_region(step.session, region_code))
    if uploader != user:
        raise NotFound("没有待确认的导入文件（可能已导入或已过期），请重新上传", "upload")
    report = import_file(sessions, user, region_code, kind_name, file_name, io.BytesIO(content), correct=correct,
                         reason=reason)
    with sessions.begin() as session:
        session.execute(delete(ImportUpload).where(ImportUpload.id == upload_id))
    return report

