#!/usr/bin/env python3
"""Compares every day of the shipped years with PyPI's chinesecalendar (an independent
transcription of the State Council notices). Usage: check-calendar.py PATH/TO/budgetwatch"""
import datetime
import subprocess
import sys

import chinese_calendar

binary = sys.argv[1]
bad = 0
for year in (2024, 2025, 2026):
    out = subprocess.run([binary, "--db", "/nonexistent/none.db", "calendar", "list", str(year)],
                         check=True, capture_output=True, text=True).stdout
    special = {}
    for line in out.splitlines():
        date, kind, _name = line.split(",", 2)
        special[date] = kind
    day = datetime.date(year, 1, 1)
    while day.year == year:
        kind = special.get(day.isoformat())
        ours = kind == "workday" or (kind is None and day.weekday() < 5)
        if ours != chinese_calendar.is_workday(day):
            print(f"{day}: budgetwatch says {'working day' if ours else 'day off'}, chinesecalendar disagrees")
            bad += 1
        day += datetime.timedelta(days=1)
print(f"calendar: {3 * 365 + 1 - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
