"""Bulk import of persons from CSV and XLSX files.

files.py reads a file (type, encoding, rows, streamed); columns.py knows the
template and maps a header row; rows.py checks and normalises one row; store.py
writes batches; runner.py runs the two passes; jobs.py is the background job;
report.py writes the rejects report.
"""
