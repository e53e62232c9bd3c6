"""pmsheets: runs a team's blameless post-mortem process from a shared spreadsheet."""

__version__ = "0.1.0"
