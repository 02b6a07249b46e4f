"""The one error of the weekly report."""

from __future__ import annotations

from analytics import i18n


class ReportError(i18n.TranslatableError):
    """The report cannot be made: bad week, no data that week, no Chromium for the PDF.

    Raised with a message marked ``N_`` and its values, it is said in the
    reader's language (:func:`analytics.i18n.describe`); raised with a plain
    line, it reads the same in every language.
    """

    def __init__(self, template: str, **params: object) -> None:
        if params:
            super().__init__(template, **params)
        else:
            Exception.__init__(self, template)
            # A plain line may hold braces from the data: it is no template.
            self.template = None if "{" in template else template
            self.params = {}
