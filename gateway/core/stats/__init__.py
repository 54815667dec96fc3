"""The statistics room (issue 14, docs/statistics.md): exchange figures in legal time.

- :mod:`~gateway.core.stats.periods`: days, weeks, months, quarters, half years, years, ranges;
- :mod:`~gateway.core.stats.facts`: the cells each document and copy counts in;
- :mod:`~gateway.core.stats.rollup`: the worker's batches and watermark;
- :mod:`~gateway.core.stats.figures`: figures from summed cells, percentiles, clock verdicts;
- :mod:`~gateway.core.stats.scope`: an agency rolled up along the registry, mergers;
- :mod:`~gateway.core.stats.service`: the use case the API, the CLI and the console call;
- :mod:`~gateway.core.stats.answers`: periods from query values, named tables, the report's parts
  (shared by the API and the console);
- :mod:`~gateway.core.stats.recount`: the brute-force recount tests compare with;
- :mod:`~gateway.core.stats.tables` and :mod:`~gateway.core.stats.workbook`: tables, CSV, XLSX
  and the 6-monthly report.
"""
