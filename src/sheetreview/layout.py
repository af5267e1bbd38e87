"""The contract between the workbook we write and the returns we read.

`workbook.py` writes to these names and `returns.py` reads by them. Ingest finds things by these
labels and codes, never by fixed positions, because schools sort, insert and delete rows and
spreadsheet programs rename or re-hide sheets. Change a value here and old returns stop being read:
add, do not rename.
"""

from __future__ import annotations

FORMAT_VERSION = "1"

# Visible sheets, in order. Hidden sheets come last: a hidden first sheet misbehaves in LibreOffice.
START_SHEET = "Start"
REVIEW_SHEET = "Review"
GUIDANCE_SHEET = "Guidance"
PROFILE_SHEET = "My profile"
LISTS_SHEET = "Lists"  # hidden: the dropdown's source range
IDENTITY_SHEET = "Identity"  # very hidden: who and what this return is

# The named range behind every level dropdown (a range, never an inline list: inline lists are
# limited to 255 characters and LibreOffice rewrites them).
LEVELS_NAME = "Levels"

# Start sheet: label in column A, value in column B. Ingest finds a row by its label.
START_FIELDS = {
    "school_name": "School name",
    "school_urn": "URN",
    "la": "Local authority",
    "trust": "Trust",
    "phase": "Phase",
    "round": "Round",
    "assessment_date": "Date of assessment",
    "completed_by": "Completed by",
    "participants": "Who took part",
}

# Review sheet: one header row; ingest finds it by CODE_HEADER in the first HEADER_SEARCH_ROWS rows
# and the other columns by their header text, so an inserted column does not break a return.
CODE_HEADER = "Code"
TITLE_HEADER = "Aspect"
LEVEL_HEADER = "Your level"
EVIDENCE_HEADER = "Evidence"
NEXT_STEPS_HEADER = "Next steps"
NEXT_LEVEL_HEADER = "What the next level asks"
HEADER_SEARCH_ROWS = 10

# Identity: key in column A, value in column B of IDENTITY_SHEET, and the same keys as custom
# document properties prefixed with PROPERTY_PREFIX.
PROPERTY_PREFIX = "sheetreview_"
IDENTITY_KEYS = (
    "format",
    "framework_id",
    "framework_version",
    "content_hash",
    "school_urn",
    "school_name",
    "round",
    "generator_version",
)

# What a return can use. Anything further out is not ours (a warning); a sheet whose extent is
# far beyond this is not a return (rejected as oversized) and is never loaded into memory.
MAX_RETURN_ROWS = 400
MAX_RETURN_COLS = 40
