from pmsheets.cli.main import entrypoint

entrypoint()
