"""The command line: parses arguments, calls the library, prints. `main` is in pmsheets.cli.main."""
