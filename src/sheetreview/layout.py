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
PREVIOUS_LEVEL_HEADER = "Previous level"
PREVIOUS_EVIDENCE_HEADER = "Previous evidence"
# Where a school confirms or explains a query (an unlikely judgement) raised on that row.
QUERY_ANSWER_HEADER = "Query answer"
HEADER_SEARCH_ROWS = 10

# The Review sheet's columns, left to right, and their widths (in characters). This is the one
# place that orders them: the writer places each column by its position here, and the print set-up
# keeps REVIEW_LEAD_COLUMNS on every page and starts the answers on a page of their own. Between
# the lead and the answers come one descriptor column per level, headed by the level's label, and
# for a later round REVIEW_PREVIOUS_COLUMNS. To add a column, add its header and width here.
REVIEW_LEAD_COLUMNS = (CODE_HEADER, TITLE_HEADER)
REVIEW_PREVIOUS_COLUMNS = (PREVIOUS_LEVEL_HEADER, PREVIOUS_EVIDENCE_HEADER)
REVIEW_ANSWER_COLUMNS = (
    LEVEL_HEADER, EVIDENCE_HEADER, NEXT_STEPS_HEADER, NEXT_LEVEL_HEADER, QUERY_ANSWER_HEADER,
)  # fmt: skip
REVIEW_WIDTHS = {
    CODE_HEADER: 7,
    TITLE_HEADER: 16,
    PREVIOUS_LEVEL_HEADER: 12,
    PREVIOUS_EVIDENCE_HEADER: 24,
    LEVEL_HEADER: 12,
    EVIDENCE_HEADER: 24,
    NEXT_STEPS_HEADER: 24,
    QUERY_ANSWER_HEADER: 24,
    # NEXT_LEVEL_HEADER shows a descriptor, so it is as wide as the descriptor columns.
}

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

# A moderation workbook (`sheetreview moderate`): the school's judgements beside the moderator's.
# Its identity carries KIND_KEY = MODERATION_KIND, so ingest never takes it for a school's return;
# where a program dropped the identity, its sheet name says the same.
KIND_KEY = "workbook_kind"
MODERATION_KIND = "moderation"
MODERATION_SHEET = "Moderation"
SCHOOL_LEVEL_HEADER = "School's level"
MODERATED_LEVEL_HEADER = "Moderated level"
MODERATOR_COMMENT_HEADER = "Moderator's comment"
