"""FOCUS export: the contract in the FinOps FOCUS Contract Commitment shape (1.3 or 1.4),
and the monthly projection beside it (docs/model.md, "FOCUS export"; docs/focus.md).

Two files, written together or not at all (:func:`write_focus`):

- ``contract_commitment.csv``: the Contract Commitment dataset, one row per contract year:
  the 13 columns FOCUS 1.3 requires, or the 27 of FOCUS 1.4 (its 13 plus the commitment's
  applicability, benefit category, model, duration, fulfilment and payment terms, lifecycle
  status, discount, dates and the provider's and invoice issuer's names; the two
  conditional pricing-currency columns and the upfront percentage do not apply). 1.4 is not
  a superset a 1.3 reader accepts, so the version is chosen (:data:`FOCUS_VERSIONS`).
  The scenario's ``contract.commitments`` with its ``contract.id`` are a signed contract;
  anything else (no id, or the recommended commitment) is a plan, exported only when asked
  (``planned=True``) and marked as one: the identifiers start ``planned-`` and say they are
  not the provider's, the description says so, and in 1.4 the lifecycle status is
  ``Proposed``. Each column below says which rule of the specification its value follows.
- ``projection.csv``: one row per calendar month of the term, its figures for the month's
  true days (the simulation's months are average months of 30.44 days: a February is
  28 / 30.44 of one). FOCUS has no projection dataset: the
  month's bounds borrow the Cost and Usage dataset's ``BillingPeriodStart`` /
  ``BillingPeriodEnd`` (Date/Time, inclusive start, exclusive end), ``ContractId`` and
  ``ContractCommitmentId`` join it to the commitment rows, and every projected figure is a
  custom column, prefixed ``x_`` as the ColumnHandling attribute requires of columns FOCUS
  does not define.

Format rules followed throughout: Date/Time values in UTC, ISO 8601 extended format
``YYYY-MM-DDTHH:mm:ssZ`` (DateTimeFormat); numbers as plain decimals, no thousands
separator, currency symbol, plus sign or exponent (NumericFormat); currency as its ISO 4217
code (CurrencyFormat); a null as an empty, unquoted field, never 0 or a placeholder
(NullHandling).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import secrets
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.contract import YearlyUsage, as_commitment, discount_for, evaluate
from forecast.errors import PlannerError, UserFileError
from forecast.formatting import pct, usd
from forecast.types import CommitmentKind, Overage
from forecast.usage.months import AVERAGE_MONTH_DAYS, days_in_month, month_offset

if TYPE_CHECKING:
    from forecast.pricebook import PriceBook
    from forecast.scenario import Contract, Scenario

#: ISO 4217 code of the price book's prices (every bundled book is in US dollars).
BILLING_CURRENCY = "USD"
#: A provider's display name for the commitment's type (ContractCommitmentType).
COMMITMENT_TYPE = "Annual spend commitment"
CONTRACT_COMMITMENT_FILE = "contract_commitment.csv"
PROJECTION_FILE = "projection.csv"

#: FOCUS versions the export writes, and the default: the latest ratified version whose
#: specification text was read (docs/focus.md says where).
FOCUS_VERSIONS = ("1.3", "1.4")
DEFAULT_FOCUS_VERSION = "1.4"
#: The provider, as FOCUS 1.4's ServiceProviderName and InvoiceIssuerName want it.
PROVIDER_NAME = "Anthropic"
#: Prefix of identifiers the export makes up for a plan (not the provider's).
PLANNED_PREFIX = "planned-"

#: The Contract Commitment dataset's columns (FOCUS 1.3, dataset.md): all 13 are required
#: in the dataset. Rule of each value, as written in :func:`contract_commitment_rows`.
CONTRACT_COMMITMENT_COLUMNS = (
    "ContractId",
    "ContractPeriodStart",
    "ContractPeriodEnd",
    "ContractCommitmentId",
    "ContractCommitmentCategory",
    "ContractCommitmentType",
    "ContractCommitmentCost",
    "ContractCommitmentPeriodStart",
    "ContractCommitmentPeriodEnd",
    "ContractCommitmentQuantity",
    "ContractCommitmentUnit",
    "ContractCommitmentDescription",
    "BillingCurrency",
)
#: FOCUS 1.4's Contract Commitment columns: 1.3's and the 14 mandatory ones 1.4 adds
#: (ContractCommitmentPaymentUpfrontPercentage, PricingCurrency and
#: PricingCurrencyContractCommitmentCost are conditional on partial upfront payments and
#: on pricing in another currency than billing; neither applies).
CONTRACT_COMMITMENT_COLUMNS_1_4 = tuple(sorted((
    *CONTRACT_COMMITMENT_COLUMNS,
    "ContractCommitmentApplicability",
    "ContractCommitmentBenefitCategory",
    "ContractCommitmentCreated",
    "ContractCommitmentDiscountPercentage",
    "ContractCommitmentDurationType",
    "ContractCommitmentFulfillmentInterval",
    "ContractCommitmentLastUpdated",
    "ContractCommitmentLifecycleStatus",
    "ContractCommitmentModel",
    "ContractCommitmentOfferCategory",
    "ContractCommitmentPaymentInterval",
    "ContractCommitmentPaymentModel",
    "InvoiceIssuerName",
    "ServiceProviderName",
)))
#: Columns of ``projection.csv``: FOCUS columns first, then the custom ones (ColumnHandling:
#: custom columns after every FOCUS column, not intermixed).
PROJECTION_COLUMNS = (
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "BillingCurrency",
    "ContractId",
    "ContractCommitmentId",
    "x_ListCostExpected",
    "x_ContractedCostExpected",
    "x_ContractedCostP10",
    "x_ContractedCostP90",
    "x_ShortfallProbability",
    "x_StrandedSavings",
)


# --------------------------------------------------------------------------- values
def timestamp(month: str) -> str:
    """The first instant of a ``YYYY-MM`` month, UTC: ``2027-01-01T00:00:00Z``
    (DateTimeFormat)."""
    return f"{month}-01T00:00:00Z"


def decimal(value: float, places: int = 2) -> str:
    """A Decimal as NumericFormat wants it: plain digits and one point, a minus sign only
    when negative, no exponent (``1e+16`` would carry a plus sign)."""
    if not np.isfinite(value):
        raise ValueError(f"{value!r} is not a number FOCUS can hold")
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def contract_id(scenario: Scenario, planned: bool = False) -> str:
    """``contract.id`` for a signed contract; for a plan, ``planned-`` and the id or one
    made from the scenario's name and start (never taken for the provider's)."""
    if scenario.contract.id and not planned:
        return scenario.contract.id
    base = scenario.contract.id or re.sub(r"[^a-z0-9]+", "-",
                                          scenario.name.lower()).strip("-")[:60]
    return f"{PLANNED_PREFIX}{base or 'contract'}-{scenario.start}"


def contract_columns(version: str) -> tuple[str, ...]:
    """The Contract Commitment columns of a FOCUS version, in the file's order."""
    return CONTRACT_COMMITMENT_COLUMNS_1_4 if version == "1.4" else CONTRACT_COMMITMENT_COLUMNS


def lifecycle_status(scenario: Scenario, planned: bool, today: dt.date) -> str:
    """FOCUS 1.4 ContractCommitmentLifecycleStatus: ``Proposed`` for a plan; for a signed
    contract ``Pending`` before its start, ``Active`` during it, ``Expired`` after."""
    if planned:
        return "Proposed"
    start = dt.date(int(scenario.start[:4]), int(scenario.start[5:]), 1)
    end_label = month_offset(scenario.start, 12 * scenario.contract.years)
    end = dt.date(int(end_label[:4]), int(end_label[5:]), 1)
    if today < start:
        return "Pending"
    return "Active" if today < end else "Expired"


# --------------------------------------------------------------------------- the export
@dataclass(frozen=True)
class FocusExport:
    """The two datasets, as rows of text cells (``None`` is a null).

    Attributes
    ----------
    commitment : ndarray of shape (years,)
        The commitment exported, per contract year.
    source : CommitmentKind
        ``scenario`` (the contract's commitments) or ``recommended``.
    version : str
        The FOCUS version of the Contract Commitment file (``1.3`` or ``1.4``).
    planned : bool
        A plan, not a signed contract: its identifiers are the planner's (``planned-...``).
    """

    contract_commitment: list[dict[str, str | None]]
    projection: list[dict[str, str | None]]
    commitment: Any
    source: CommitmentKind
    version: str = DEFAULT_FOCUS_VERSION
    planned: bool = False

    def files(self) -> dict[str, bytes]:
        """File name to CSV bytes (UTF-8, header row, ``\\r\\n`` line ends as RFC 4180)."""
        return {CONTRACT_COMMITMENT_FILE: _csv(contract_columns(self.version),
                                               self.contract_commitment),
                PROJECTION_FILE: _csv(PROJECTION_COLUMNS, self.projection)}


def _csv(columns: Sequence[str], rows: list[dict[str, str | None]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        # csv writes None as an empty, unquoted field: FOCUS's null in a CSV.
        writer.writerow([row[c] for c in columns])
    return out.getvalue().encode("utf-8")


def contract_commitment_rows(scenario: Scenario, per_year: Any, source: CommitmentKind,
                             version: str = DEFAULT_FOCUS_VERSION, planned: bool = False,
                             today: dt.date | None = None, terms: Contract | None = None,
                             offset: int = 0, origin: str | None = None
                             ) -> list[dict[str, str | None]]:
    """One Contract Commitment row per contract year (FOCUS 1.3 or 1.4; the rule of each
    column is given beside its value). ``terms`` (default the scenario's contract),
    ``offset`` (months from the scenario's start to the contract's) and ``origin`` place
    the plan's decision."""
    contract = scenario.contract if terms is None else terms
    start = month_offset(scenario.start, offset)
    years = contract.years
    discount = discount_for(contract, per_year)
    cid = contract_id(scenario, planned)
    rule = "at list" if contract.overage == Overage.LIST else "at the discounted rate"
    carry = f"{pct(contract.rollover)} of any unused balance carries into the next year" \
        if contract.rollover > 0 else "unused commitment does not roll over"
    if origin is None:
        origin = "" if source == CommitmentKind.SCENARIO else \
            " Recommended by Commitment Planner: the scenario names no commitment."
    if planned:
        origin += (" Planned, not signed: the identifiers are the planner's, not the "
                   "provider's.")
    rows = []
    for y in range(years):
        rows.append({
            # Dimension, Mandatory, not null, String; unique within the provider.
            "ContractId": cid,
            # Dimension, Mandatory, not null, Date/Time: inclusive start of the contract.
            "ContractPeriodStart": timestamp(start),
            # Dimension, Mandatory, not null, Date/Time: exclusive end of the contract.
            "ContractPeriodEnd": timestamp(month_offset(start, 12 * years)),
            # Dimension, Mandatory, not null, String: unique in the dataset, one parent
            # ContractId.
            "ContractCommitmentId": f"{cid}/year-{y + 1}",
            # Dimension, Mandatory, not null, String, allowed values Spend | Usage: a
            # predetermined amount of spend.
            "ContractCommitmentCategory": "Spend",
            # Dimension, Mandatory, not null, String: a consistent, readable display value.
            "ContractCommitmentType": COMMITMENT_TYPE,
            # Metric, Mandatory, Decimal in BillingCurrency; must not be null while
            # ContractCommitmentQuantity is null.
            "ContractCommitmentCost": decimal(float(per_year[y])),
            # Dimension, Mandatory, not null, Date/Time: the contract year's inclusive start.
            "ContractCommitmentPeriodStart": timestamp(month_offset(start, 12 * y)),
            # Dimension, Mandatory, not null, Date/Time: the contract year's exclusive end.
            "ContractCommitmentPeriodEnd": timestamp(month_offset(start, 12 * (y + 1))),
            # Decimal, may be null while ContractCommitmentCost is not: a spend commitment
            # has no quantity of a unit besides its cost.
            "ContractCommitmentQuantity": None,
            # String, must be null when ContractCommitmentQuantity is null.
            "ContractCommitmentUnit": None,
            # Dimension, Mandatory, String, should not be null: a self-contained summary.
            "ContractCommitmentDescription": (
                f"Contract year {y + 1} of {years}: {usd(float(per_year[y]))} of Claude API "
                f"spend committed, drawn down by usage at list less {pct(float(discount[y]), 1)}"
                f"; overage {rule}; {carry}.{origin}"),
            # Dimension, Mandatory, String, CurrencyFormat (ISO 4217); not null for Spend.
            "BillingCurrency": BILLING_CURRENCY,
        })
    if version == "1.4":
        today = dt.date.today() if today is None else today
        status = lifecycle_status(scenario, planned, today)
        for y, row in enumerate(rows):
            row.update({
                # JSON object, not null: the commitment covers every Claude API charge.
                "ContractCommitmentApplicability": '{"IsGlobalScope":true}',
                # String, not null, allowed values: a discount on list prices.
                "ContractCommitmentBenefitCategory": "Discount",
                # Date/Time, not null: the scenario holds no signing date; the contract's
                # start stands for both (a planner's record, not the provider's).
                "ContractCommitmentCreated": row["ContractPeriodStart"],
                "ContractCommitmentLastUpdated": row["ContractPeriodStart"],
                # Decimal 0 to 1, not null for Discount: the year's tier.
                "ContractCommitmentDiscountPercentage": decimal(float(discount[y]), 6),
                # String, "[n] [unit]": the contract's length.
                "ContractCommitmentDurationType": f"{years} Year{'s' if years > 1 else ''}",
                # Allowed values: each year's commitment is measured over its year.
                "ContractCommitmentFulfillmentInterval": "Annual",
                # Allowed values: Proposed for a plan; Pending, Active, Expired by date.
                "ContractCommitmentLifecycleStatus": status,
                # Allowed values: an aggregate spend commitment, usage may vary.
                "ContractCommitmentModel": "Discontinuous",
                # Allowed values: terms negotiated with the provider.
                "ContractCommitmentOfferCategory": "Negotiated",
                # Allowed values: usage is invoiced monthly, drawing the commitment down;
                # nothing is paid upfront (PaymentUpfrontPercentage does not apply).
                "ContractCommitmentPaymentInterval": "Monthly",
                "ContractCommitmentPaymentModel": "No Upfront",
                # String, not null.
                "InvoiceIssuerName": PROVIDER_NAME,
                "ServiceProviderName": PROVIDER_NAME,
            })
    return rows


def focus_export(scenario: Scenario, book: PriceBook, paths: int | None = None,
                 seed: int | None = None, version: str = DEFAULT_FOCUS_VERSION,
                 planned: bool = False, today: dt.date | None = None) -> FocusExport:
    """Simulate the scenario and build both datasets.

    The commitment is ``contract.commitments`` of a signed contract (with ``contract.id``,
    the provider's identifier), or the one the buyer names with no ``offers:`` on the
    table; any other export is a plan's decision (:mod:`forecast.decision`: the offer's
    terms, the commitment per year from the month it is signed; zeros with pay as you go).
    Anything but a signed contract is a plan, made only with ``planned=True``.

    The projection is the optimized path (walk-back drawn) at the commitment's discount:
    per calendar month (its true days), the expected list cost and the expected consumption
    at the discounted rate with its P10 and P90 over the paths; on each contract year's last
    month, the year's shortfall probability and its expected stranded savings
    (docs/model.md, "Stranded savings"): a year's figures, shown once on the month the year
    closes. The year's figures are the simulation's (years of 365.24 days); the months sum
    to the calendar year's days.

    Raises
    ------
    PlannerError
        An unknown ``version``; a plan exported without ``planned``.
    """
    from forecast.simulation import simulate

    contract = scenario.contract
    if version not in FOCUS_VERSIONS:
        raise PlannerError(f"--focus-version {version!r}: the export writes FOCUS "
                           f"{' or '.join(FOCUS_VERSIONS)}")
    signed = contract.commitments is not None and bool(contract.id)
    if not signed and not planned:
        why = ("contract.id: required to export a signed contract; write the provider's "
               "contract identifier into contract.id" if contract.commitments is not None
               else "the scenario names no commitment (contract.commitments): the export "
               "would be the recommended commitment, not a signed contract")
        raise PlannerError(f"{why}; export it as a plan with --planned (its identifiers "
                           f"are then marked {PLANNED_PREFIX}..., not the provider's)")
    planned = not signed  # --planned on a signed contract changes nothing
    n_paths = scenario.simulation.paths if paths is None else paths
    seed = scenario.simulation.seed if seed is None else seed
    offset, origin = 0, None
    named = contract.commitment_per_year()
    if named is not None and (signed or not scenario.offers):
        # The contract as signed, or the commitment the buyer names with nothing else on
        # the table.
        sim = simulate(scenario, book, n_paths=n_paths, seed=seed)
        per_year, source = as_commitment(contract, named), CommitmentKind.SCENARIO
    else:
        # A plan: the plan's decision (its offer's terms, from the month it is signed).
        from forecast.plan import build_plan

        plan = build_plan(scenario, book, paths=n_paths, seed=seed, sensitivity=False)
        d = plan.decision
        assert d is not None
        sim, source = plan.simulation, CommitmentKind.RECOMMENDED
        if d.signs:
            contract = d.terms or contract
            per_year = d.per_year
            offset = d.sign_after_months
            if offset > 0 and d.timing is not None and d.timing.simulation is not None:
                sim = d.timing.simulation
            origin = (f" Recommended by Commitment Planner, its decision ({d.offer}"
                      + (f", signed after {offset} months of pay as you go" if offset else "")
                      + ").")
        else:
            per_year = np.zeros(contract.years)
            origin = (" Commitment Planner's decision: pay as you go, no commitment "
                      "(nothing beats it within the appetite).")
    years = contract.years
    usage = YearlyUsage.from_simulation(_shifted(sim, offset), years)
    discount = discount_for(contract, per_year)
    outcome = evaluate(contract, usage.optimized, per_year, usage.price_level)
    committed = per_year * usage.price_level if contract.price_protection else per_year
    d_base, d_opt = (1.0 - discount) * usage.current, (1.0 - discount) * usage.optimized
    stranded = (np.minimum(committed, d_base) - np.minimum(committed, d_opt)).mean(axis=0)
    shortfall = outcome.short.mean(axis=0)

    term = 12 * years
    # The simulation's months are average months; a calendar month holds its true days.
    days = np.array([days_in_month(month_offset(scenario.start, offset + k))
                     for k in range(term)])
    listed = sim.optimized[:, offset:offset + term] * (days / AVERAGE_MONTH_DAYS)
    rate = np.repeat(1.0 - discount, 12)  # (term,)
    contracted = listed * rate
    p10, p90 = np.quantile(contracted, [0.1, 0.9], axis=0)
    cid = contract_id(scenario, planned)
    rows = []
    for k in range(term):
        y, closing = divmod(k, 12)[0], k % 12 == 11
        rows.append({
            "BillingPeriodStart": timestamp(month_offset(scenario.start, offset + k)),
            "BillingPeriodEnd": timestamp(month_offset(scenario.start, offset + k + 1)),
            "BillingCurrency": BILLING_CURRENCY,
            "ContractId": cid,
            "ContractCommitmentId": f"{cid}/year-{y + 1}",
            "x_ListCostExpected": decimal(float(listed[:, k].mean())),
            "x_ContractedCostExpected": decimal(float(contracted[:, k].mean())),
            "x_ContractedCostP10": decimal(float(p10[k])),
            "x_ContractedCostP90": decimal(float(p90[k])),
            "x_ShortfallProbability": decimal(float(shortfall[y]), 6) if closing else None,
            "x_StrandedSavings": decimal(float(stranded[y])) if closing else None,
        })
    return FocusExport(contract_commitment_rows(scenario, per_year, source, version, planned,
                                                today, contract, offset, origin),
                       rows, per_year, source, version, planned)


def _shifted(sim: Any, offset: int) -> Any:
    """The simulation's monthly series from month ``offset`` on (the contract's months)."""
    if offset == 0:
        return sim
    from types import SimpleNamespace

    level = getattr(sim, "price_level", None)
    return SimpleNamespace(
        optimized=sim.optimized[:, offset:], current=sim.current[:, offset:],
        planned=getattr(sim, "planned", sim.optimized)[:, offset:],
        reverted=sim.reverted[:, offset:],
        price_level=None if level is None else level[:, offset:])


# --------------------------------------------------------------------------- writing
def write_focus(export: FocusExport, folder: str | os.PathLike[str],
                inputs: Sequence[str | os.PathLike[str]] = ()) -> list[Path]:
    """Write both files into ``folder``; nothing is lost and no partial set is left.

    - ``folder`` does not exist: the files are written (and flushed to disk) in a new
      temporary folder beside it, which is then renamed to ``folder`` in one step;
    - ``folder`` exists: each file is written to a temporary file beside its target, then
      both are renamed over their targets; a target replaced before a later step failed is
      put back as it was (kept meanwhile as a hard link), so the folder holds the old pair
      or the new pair, and its other files are never touched.

    Raises
    ------
    UserFileError
        ``folder`` is a file, read-only, inside a folder that does not exist; a target is a
        folder, a symlink or another special file, or one of ``inputs``.
    """
    from forecast.files import _clean_up_on_termination, check_output

    files = export.files()
    target = Path(folder)
    shown = os.fspath(folder)
    if target.exists() and not target.is_dir():
        raise UserFileError(shown, "is a file; give a folder to write contract_commitment.csv "
                                   "and projection.csv into (it is created when missing)")
    parent = target.parent if str(target.parent) else Path(".")
    if not target.exists():
        if not parent.is_dir():
            raise UserFileError(shown, f"cannot write: {parent} is not an existing folder; "
                                       "create it or write elsewhere")
        _check_writable(parent, shown)
    else:
        _check_writable(target, shown)
        for name in files:
            path = target / name
            if path.is_symlink() or (path.exists() and not stat.S_ISREG(path.stat().st_mode)):
                raise UserFileError(path, "is not a regular file (a folder, link or device); "
                                          "move it away or export to another folder")
            check_output(path, inputs)
    with _clean_up_on_termination():
        if not target.exists():
            _write_new_folder(target, parent, files)
        else:
            _replace_in_folder(target, files)
    return [target / name for name in files]


def _check_writable(folder: Path, shown: str) -> None:
    info = folder.stat()
    writable = info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    # Held to the folder's mode even as root, as forecast.files holds files: read-only
    # means keep.
    if not writable or not os.access(folder, os.W_OK):
        raise UserFileError(shown, f"cannot write: {'the folder' if folder.name else folder} "
                                   "is read-only; make it writable or write elsewhere")


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_new_folder(target: Path, parent: Path, files: dict[str, bytes]) -> None:
    staging = parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    staging.mkdir(mode=0o777)
    try:
        for name, data in files.items():
            _write_file(staging / name, data)
        _fsync_folder(staging)
        os.rename(staging, target)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UserFileError(target, f"cannot write the export ({exc.strerror or exc})"
                                ) from None
        raise
    _fsync_folder(parent)


def _replace_in_folder(target: Path, files: dict[str, bytes]) -> None:
    tag = secrets.token_hex(4)
    staged = {name: target / f".{name}.{tag}.tmp" for name in files}
    kept = {name: target / f".{name}.{tag}.old" for name in files}
    done: list[str] = []
    try:
        for name, data in files.items():
            _write_file(staged[name], data)
        for name in files:
            if (target / name).exists():
                try:
                    os.link(target / name, kept[name])
                except OSError:  # a file system without hard links: keep a copy
                    shutil.copy2(target / name, kept[name])
        for name in files:
            os.replace(staged[name], target / name)
            done.append(name)
    except BaseException as exc:
        for name in done:  # put back what was there: the old pair, or nothing
            if kept[name].exists():
                os.replace(kept[name], target / name)
            else:
                (target / name).unlink(missing_ok=True)
        for path in (*staged.values(), *kept.values()):
            path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UserFileError(target, f"cannot write the export ({exc.strerror or exc})"
                                ) from None
        raise
    for path in kept.values():
        path.unlink(missing_ok=True)
    _fsync_folder(target)
