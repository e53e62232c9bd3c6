from pmsheets.cli import entrypoint

entrypoint()
