"""Standards reports: a facility standards report and a national standards report, as
PDF (WeasyPrint) and XLSX (openpyxl), in Indonesian or English, made by a background
job (docs/standards-reports.md).

    facility.py   what the facility report shows (scores, criteria, gaps, actions, …)
    national.py   what the national report shows, aggregated in the database
    progress.py   improvement-plan and renovation figures (grouped queries)
    photos.py     photos of evidence: thumbnails from private storage as data URIs
    pdf.py        the PDF renderer; templates in templates/standards/reports/
    xlsx.py       the XLSX builder
    jobs.py       start_report() and the job handler write_report()
"""
