from pmsheets.emulator.cli import entrypoint

entrypoint()
