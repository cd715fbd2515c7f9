"""The sample inbox's October 2026 statement of the group Orhid_magazine, checked by hand.

Every figure below was worked out from the raw files in sample_data/ (openpyxl; the cash CSV
decoded as cp1251 and split on ';') with the SPEC rules and Decimal arithmetic, independently of
ledgerflow. Rounding is half-up to 2 digits per line, at each discount, tax and conversion.

Group (links.xlsx): Orhid_magazine_DIR related since 2025-02-01, Orhid_magazine_SPB since
2025-05-15, neither unlinked, so every line of the three accounts in the sample (August to
October 2026) has payer Orhid_magazine. Master's card (clients.xlsx): RUB, credit limit 50 000,
postpay "нет", deferral 30 days, block after 60 days. payments_cash.csv has no line of the group.

Conditions (conditions.xlsx), matched by the expense's own account:
- tax: the default row 20 % (from 2026-01-01, all products) applies to every expense of the group;
- discount: Orhid_magazine_DIR, sms, 10 % from 2026-09-01: only EXP-26-00277 (2026-10-09)
  14 571.62 -> charged 13 114.46, tax 2 622.89, total 15 737.35. DIR's sms line of 2026-08-19
  (EXP-26-00075) is before valid_from: no discount (16 568.73 + 3 313.75 = 19 882.48).
Rates (sheet "Курсы" of expenses_2026-10.xlsx), USD -> RUB, the payer's (not SPB's):
- before 2026-09-01 the payer has no own rate: default 91.8734 (from 2026-08-01);
- from 2026-09-01 the payer's own 90.5 wins over the defaults 93.1207 / 94.0215 / 92.4512.

Opening (lines dated before 2026-10-01), in RUB:
- payments: PAY-26-0008 2026-08-06 146 700.00; PAY-26-0026 2026-09-05 37 708.87 (blank kind =
  payment): 184 408.87;
- expenses (amount + 20 % tax, converted): Orhid_magazine 6 lines 44 626.09; Orhid_magazine_DIR
  6 lines 73 061.57; Orhid_magazine_SPB 5 lines 57 915.23 = Aug at 91.8734: 149.92 -> 13 773.66,
  52.36 -> 4 810.49, 279.23 -> 25 653.81; Sep at 90.5: 71.23 -> 6 446.32 (amount text "59,36"),
  79.90 -> 7 230.95. Total 175 602.89 (EXP-26-00202 is the text "2 798,71", NBSP);
- opening = 184 408.87 - 175 602.89 = 8 805.98.
October 2026: no payment, refund, withdrawal or correction of the group; 12 expenses:
- Orhid_magazine 3 lines (RUB, tax only): 2 040.71 + 2 407.10 + 8 288.53 (EXP-26-00356 is the
  text "6 907,11", NBSP) = 12 736.34;
- Orhid_magazine_DIR 3 lines (RUB): 15 737.35 (sms, discounted) + 6 224.22 + 23 239.75 =
  45 201.32;
- Orhid_magazine_SPB 6 lines (USD, tax only; all at the payer's 90.5): 294.26 -> 26 630.53,
  75.58 -> 6 839.99, 71.11 -> 6 435.46, 155.18 -> 14 043.79, 165.30 -> 14 959.65,
  28.75 -> 2 601.88: 790.18 USD = 71 511.30 RUB;
- expenses = 12 736.34 + 45 201.32 + 71 511.30 = 129 448.96.
Closing = 8 805.98 - 129 448.96 = -120 642.98; available = -120 642.98 + 50 000 = -70 642.98,
so over_limit. Ageing at 2026-10-31: debt 120 642.98 is made of the 12 October expenses from the
newest back (sum 129 448.96); the walk ends inside EXP-26-00258 of 2026-10-01 (17 824.55 of its
26 630.53), aged 30 days: all of it in 0-30. Oldest age 30 is not > 30 (deferral) nor > 60
(block): neither overdue nor to_block.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ledgerflow.pipeline import load_inbox
from ledgerflow.rules.balances import payer_records
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period

SAMPLE_INBOX = Path(__file__).resolve().parents[2] / "sample_data"

ORHID_OCTOBER = {
    "payer": "Orhid_magazine",
    "currency": "RUB",
    "opening": "8805.98",
    "payments": "0.00",
    "refunds": "0.00",
    "withdrawals": "0.00",
    "corrections": "0.00",
    "expenses": "129448.96",
    "closing": "-120642.98",
    "credit_limit": "50000.00",
    "available": "-70642.98",
    "flags": ["over_limit"],
    "ageing": {"0-30": "120642.98", "31-60": "0.00", "61-90": "0.00", "over_90": "0.00"},
    "accounts": [
        {"account": "Orhid_magazine", "currency": "RUB", "spent": "12736.34",
         "spent_in_payer_currency": "12736.34"},
        {"account": "Orhid_magazine_DIR", "currency": "RUB", "spent": "45201.32",
         "spent_in_payer_currency": "45201.32"},
        {"account": "Orhid_magazine_SPB", "currency": "USD", "spent": "790.18",
         "spent_in_payer_currency": "71511.30"},
    ],
}


def test_sample_orhid_magazine_october_statement(warehouse: Path) -> None:
    report = load_inbox(SAMPLE_INBOX, warehouse)
    assert report.exit_code == 0, [str(p) for p in report.problems()]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        result = consolidate(connection, Period.month("2026-10"))
    records = {r["payer"]: r for r in payer_records(result)}
    assert records["Orhid_magazine"] == ORHID_OCTOBER
