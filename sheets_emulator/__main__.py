from sheets_emulator.cli import entrypoint

entrypoint()
