"""The names behind the fundamentals: concepts and their us-gaap tags, metric columns.

Shared by the per-filing replay (:mod:`airegime.data.fundamentals`) and the panel
(:mod:`airegime.data.panel`); see the former's docstring for what each concept means.
"""

from __future__ import annotations

CONCEPTS: dict[str, tuple[str, ...]] = {
    "revenue": (
        "Revenues",
        "RevenueFromContractWithCustomerExcludingAssessedTax",
        "RevenueFromContractWithCustomerIncludingAssessedTax",
        "SalesRevenueNet",
    ),
    "net_income": ("NetIncomeLoss", "ProfitLoss"),
    "operating_cash_flow": (
        "NetCashProvidedByUsedInOperatingActivities",
        "NetCashProvidedByUsedInOperatingActivitiesContinuingOperations",
    ),
    "capex": ("PaymentsToAcquirePropertyPlantAndEquipment", "PaymentsToAcquireProductiveAssets"),
    "operating_income": ("OperatingIncomeLoss",),
    "gross_profit": ("GrossProfit",),
    "rd_expense": ("ResearchAndDevelopmentExpense",),
    "eps_diluted": ("EarningsPerShareDiluted",),
    "diluted_shares": ("WeightedAverageNumberOfDilutedSharesOutstanding",),
    "shares_outstanding": ("EntityCommonStockSharesOutstanding", "CommonStockSharesOutstanding"),
    "cash_and_sti": ("CashCashEquivalentsAndShortTermInvestments",),
    "short_term_investments": (
        "ShortTermInvestments",
        "MarketableSecuritiesCurrent",
        "AvailableForSaleSecuritiesDebtSecuritiesCurrent",
    ),
    "long_term_investments": (
        "MarketableSecuritiesNoncurrent",
        "AvailableForSaleSecuritiesDebtSecuritiesNoncurrent",
    ),
    "cash": (
        "CashAndCashEquivalentsAtCarryingValue",
        "CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalents",
    ),
    "equity": (
        "StockholdersEquity",
        "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
    ),
    "total_assets": ("Assets",),
    "long_term_debt": ("LongTermDebt",),
    "long_term_debt_noncurrent": ("LongTermDebtNoncurrent",),
    "debt_current": ("LongTermDebtCurrent", "DebtCurrent"),
}
FLOWS = ("revenue", "net_income", "operating_cash_flow", "capex")
MARGIN_FLOWS = ("operating_income", "gross_profit", "rd_expense", "eps_diluted")
#: Concepts counted in shares (scaled up by a later split) and per share (scaled down).
SHARE_CONCEPTS = ("diluted_shares", "shares_outstanding")
PER_SHARE_CONCEPTS = ("eps_diluted",)
#: Level concepts checked for filer scale slips (a value > JUMP_RATIO x its neighbours).
#: Debt and equity are not: they can truly move from near zero (AMD's debt of 1M USD at
#: the end of 2021 became 1.5B with Xilinx's).
JUMP_CHECKED = (
    "revenue",
    "cash",
    "cash_and_sti",
    "total_assets",
    "diluted_shares",
    "shares_outstanding",
)
JUMP_RATIO = 50.0
#: The concepts whose instants give total debt; a company with none of them known has
#: tagged no debt and is taken to have none.
DEBT_CONCEPTS = ("long_term_debt", "long_term_debt_noncurrent", "debt_current")
#: Days (one fiscal year plus a week of slack for 52/53-week years) that a debt instant
#: may lie before the reference date and still count: the company's latest balance-sheet
#: date for total debt, the date a year before the latest TTM period for debt growth's
#: base. An older debt figure is unknown (NaN), never carried forward: filers drop or
#: switch debt tags (DLR's LongTermDebt stops in 2012, AVGO's after mid-2022), and the
#: last figure tagged can be years out of date.
DEBT_MAX_AGE_DAYS = 372
INSTANTS = (
    "equity",
    "total_assets",
    "long_term_debt",
    "long_term_debt_noncurrent",
    "debt_current",
)
TAG_RANK = {
    tag: (concept, rank) for concept, tags in CONCEPTS.items() for rank, tag in enumerate(tags)
}
FACT_COLUMNS = ("ticker", "tag", "start", "end", "filed", "value")
ANNUAL_DAYS = (340, 390)
METRICS = (
    "revenue_ttm",
    "net_income_ttm",
    "operating_cash_flow_ttm",
    "capex_ttm",
    "fcf_ttm",
    "operating_income_ttm",
    "gross_profit_ttm",
    "rd_expense_ttm",
    "eps_diluted_ttm",
    "total_debt",
    "cash",
    "short_term_investments",
    "long_term_investments",
    "equity",
    "total_assets",
    "diluted_shares",
    "shares_outstanding",
    "debt_to_equity",
    "net_cash",
    "net_cash_to_assets",
    "fcf_margin",
    "net_margin",
    "operating_margin",
    "gross_margin",
    "rd_intensity",
    "capex_to_ocf",
    "revenue_growth",
    "fcf_stability",
    "capex_over_ocf_years",
    "debt_growth",
    "market_cap",
    "pe_ttm",
    "ps_ttm",
    "ev_to_sales",
    "staleness_days",
    "ttm_age_days",
    "balance_sheet_age_days",
    "shares_age_days",
    "period_end",
    "last_filed",
)
#: Per-row ages, in days from a fact's period end to the as-of date.
AGE_COLUMNS = ("staleness_days", "ttm_age_days", "balance_sheet_age_days", "shares_age_days")
#: Days of tolerance when matching a year-to-date period with the fiscal year and the
#: same period a year earlier (TTM flows).
NEAR_DAYS = 10
