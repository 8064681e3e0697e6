"""CSV downloads of the pages' tables."""

import csv

from django.http import HttpResponse


def csv_download(filename: str):
    """A response that downloads as `filename`, and a csv writer into it."""
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response)
