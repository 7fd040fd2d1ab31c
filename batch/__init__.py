"""Batch generation of many clips: jobs files (jobs.py) and worker processes (runner.py)."""
