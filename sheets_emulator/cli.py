"""`pmsheets emulator`: run the Sheets emulator on 127.0.0.1 until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TextIO

from sheets_emulator.server import DEFAULT_EMAIL, SheetsEmulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pmsheets emulator", description="Serve a fake Google Sheets API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--load", type=Path, help="register workbook (.xlsx) to serve as a spreadsheet (default: one empty spreadsheet)")
    parser.add_argument("--save-on-exit", type=Path, help="write the spreadsheet back to this .xlsx when stopping")
    parser.add_argument("--key-out", type=Path, help="write a service-account key file that points at the emulator")
    parser.add_argument("--email", default=DEFAULT_EMAIL, help="service account the spreadsheet is shared with")
    parser.add_argument(
        "--drive-folder",
        metavar="NAME",
        help="also create a Drive folder in a shared drive, shared with --email (for postmortems.publish: google_docs)",
    )
    parser.add_argument("--docs-on-exit", type=Path, metavar="DIR", help="write each Google Doc's Markdown into DIR when stopping")
    return parser


def main(argv: list[str], *, ready: threading.Event | None = None, stop: threading.Event | None = None, err: TextIO | None = None) -> int:
    """Run until SIGINT/SIGTERM (or `stop` is set, for tests); `ready` is set once serving. A problem is one line on `err`, exit 2."""
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        _check(args)
        emulator = _start(args.port)
    except EmulatorUsageError as error:
        print(f"pmsheets emulator: error: {error}", file=err)
        return 2
    stop = stop or threading.Event()
    with emulator:
        try:
            spreadsheet_id = _prepare(emulator, args)
        except EmulatorUsageError as error:
            print(f"pmsheets emulator: error: {error}", file=err)
            return 2
        _announce(emulator, args, spreadsheet_id)
        restore = _on_signals(stop)
        if ready is not None:
            ready.set()
        try:
            stop.wait()
        finally:
            restore()
        if args.save_on_exit:
            emulator.save_xlsx(spreadsheet_id, args.save_on_exit)
            print(f"saved {args.save_on_exit}", flush=True)
        if args.docs_on_exit:
            _save_docs(emulator, args.docs_on_exit)
    return 0


class EmulatorUsageError(Exception):
    """An option names something that is not there or not usable; the message says which and what to do."""


def _check(args: argparse.Namespace) -> None:
    """Everything that can be checked before serving, so a mistake is not found only at Ctrl-C."""
    if args.load is not None and not args.load.is_file():
        what = "is a folder" if args.load.is_dir() else "does not exist"
        msg = f"--load {args.load} {what}; give the path of a register workbook (.xlsx), e.g. one made by pmsheets init --xlsx"
        raise EmulatorUsageError(msg)
    for option, path in (("--save-on-exit", args.save_on_exit), ("--key-out", args.key_out)):
        if path is not None and not path.parent.is_dir():
            msg = f"{option} {path}: the folder {path.parent} does not exist; create it first or choose another path"
            raise EmulatorUsageError(msg)


def _start(port: int) -> SheetsEmulator:
    try:
        return SheetsEmulator(port=port)
    except OSError as error:
        reason = "is in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
        msg = f"port {port} on 127.0.0.1 {reason}; choose another with --port, or leave --port out for any free port"
        raise EmulatorUsageError(msg) from None


def _save_docs(emulator: SheetsEmulator, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    docs = list(emulator.store.docs.docs.values())
    for doc in docs:
        (folder / f"{doc.id}.md").write_text(doc.content, encoding="utf-8")
    print(f"saved {len(docs)} Google Doc(s) to {folder}", flush=True)


def _prepare(emulator: SheetsEmulator, args: argparse.Namespace) -> str:
    if args.key_out:
        emulator.write_key_file(args.key_out, args.email)
    if args.drive_folder:
        args.folder_id = emulator.create_folder(args.drive_folder, shared_with=(args.email,))
    if not args.load:
        # Like a new spreadsheet in Google Sheets: one empty tab, ready for `pmsheets init --sheet ID`.
        return emulator.create_spreadsheet("Untitled spreadsheet", sheets=["Sheet1"], shared_with=(args.email,))
    try:
        return emulator.load_xlsx(args.load, shared_with=(args.email,))
    except Exception as error:  # noqa: BLE001 -- openpyxl raises anything on a damaged file; one line names it
        msg = f"--load {args.load} is not a readable .xlsx workbook ({error or type(error).__name__}); save it as Excel Workbook (.xlsx)"
        raise EmulatorUsageError(msg) from None


def _announce(emulator: SheetsEmulator, args: argparse.Namespace, spreadsheet_id: str) -> None:
    print(f"Sheets emulator at {emulator.url}", flush=True)
    print(f"spreadsheet id: {spreadsheet_id}{'' if args.load else ' (empty)'}", flush=True)
    if args.drive_folder:
        print(f"Drive folder id: {args.folder_id} ({args.drive_folder}, in a shared drive)", flush=True)
    if args.key_out:
        print(f"service-account key: {args.key_out} ({args.email})", flush=True)
    print("stop with Ctrl-C", flush=True)


def _on_signals(stop: threading.Event) -> Callable[[], None]:
    """Set `stop` on SIGINT/SIGTERM; returns a callable that puts the old handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def entrypoint() -> None:
    sys.exit(main(sys.argv[1:]))
