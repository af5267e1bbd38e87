"""sheetreview: self-review workbooks for schools, and the cohort benchmarks built from their returns."""

__version__ = "0.1.0"
