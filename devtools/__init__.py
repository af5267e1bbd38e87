"""Developer tools: real spreadsheet programs for tests and scripts, and template regeneration.

Not part of the installed package: users never need them.
"""
