"""Reports people look at: the lifecycle diagram, the national chart and by region, council timelines with their
statistical neighbours, and deviations, as one self-contained HTML page with the same charts as SVG files beside it
(each drawn once, in parallel processes)."""

from __future__ import annotations

from .build import WrittenReport, report_page, write_report
from .collect import CouncilHistory, ReportData, collect
from .diagram import lifecycle_svg

__all__ = [
    "CouncilHistory",
    "ReportData",
    "WrittenReport",
    "collect",
    "lifecycle_svg",
    "report_page",
    "write_report",
]
