"""The one error of the weekly report."""


class ReportError(Exception):
    """The report cannot be made: bad week, no data that week, no Chromium for the PDF."""
