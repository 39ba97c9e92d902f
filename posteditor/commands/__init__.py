"""One module per command: arguments in (from ``cli``), files and a summary out."""
