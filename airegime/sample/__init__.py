"""The bundled sample: real adjusted daily closes, 2015-01-02 to 2026-08-03.

``closes.csv.gz`` holds one column per ticker (the AI universe, SPY, QQQ,
SOXX, SMH and the regime series TLT, IEF, SHY, UUP, FXI, KWEB, MCHI, XLK,
XLU, VT, ACWX, EFA), built by ``scripts/build_sample.py`` from the
project's shared market data (Yahoo-style split- and dividend-adjusted
closes, snapshot of 2026-08-03; provenance in that data's SOURCES.md).
"""
