"""Built-in strategies. Importing this package registers every strategy in it.

Each module holds one strategy: pure scoring functions and a thin Strategy subclass.
"""

from .balance_sheet import BalanceSheetQuality
from .capex_discipline import CapexDiscipline
from .china_underweight import ChinaUnderweight
from .composite import ArticleComposite
from .equal_weight import EqualWeight
from .regime_aware import RegimeAware
from .supplier_tilt import SupplierTilt
from .valuation import ValuationDiscipline

__all__ = [
    "ArticleComposite",
    "BalanceSheetQuality",
    "CapexDiscipline",
    "ChinaUnderweight",
    "EqualWeight",
    "RegimeAware",
    "SupplierTilt",
    "ValuationDiscipline",
]
