"""Developer metadata: key/value pairs a program attaches to a spreadsheet or a sheet, invisible to users.

Kept where the real service keeps them: a sheet's with the sheet (deleting the sheet deletes them),
the spreadsheet's on the spreadsheet. Locations on rows and columns, and lookups by range, are
not emulated; they fail loudly (400).
"""

from __future__ import annotations

from typing import Any

from sheets_emulator.fields import parse_mask, update_with_mask
from sheets_emulator.gridrange import RequestError
from sheets_emulator.model import Spreadsheet
from sheets_emulator.render import without_zero_sheet as as_sent

VISIBILITIES = ("DOCUMENT", "PROJECT")


def create(ss: Spreadsheet, body: dict[str, Any], new_id: int) -> dict[str, Any]:
    wanted = body.get("developerMetadata") or {}
    if not wanted.get("metadataKey"):
        msg = "developerMetadata.metadataKey is required."
        raise RequestError(msg)
    if wanted.get("visibility") not in VISIBILITIES:
        msg = "developerMetadata.visibility must be DOCUMENT or PROJECT."
        raise RequestError(msg)
    metadata_id = int(wanted.get("metadataId") or new_id)
    if any(entry["metadataId"] == metadata_id for entry in every_entry(ss)):
        msg = f"Developer metadata with id {metadata_id} already exists."
        raise RequestError(msg)
    stored = {
        "metadataId": metadata_id,
        "metadataKey": wanted["metadataKey"],
        "metadataValue": wanted.get("metadataValue", ""),
        "location": _location(ss, wanted.get("location") or {}),
        "visibility": wanted["visibility"],
    }
    _entries_at(ss, stored["location"]).append(stored)
    return {"developerMetadata": as_sent(stored)}


def update(ss: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    fields = body.get("fields")
    if not fields:
        msg = "'fields' is required: the fields of developerMetadata to update."
        raise RequestError(msg)
    mask = parse_mask(fields)
    if "metadataId" in mask or "location" in mask:
        msg = "Moving developer metadata or changing its id is not supported by the emulator."
        raise RequestError(msg)
    wanted = body.get("developerMetadata") or {}
    matched = [entry for entry in every_entry(ss) if any(_matches(ss, entry, f) for f in body.get("dataFilters") or [])]
    for entry in matched:
        update_with_mask(entry, wanted, mask)
    return {"developerMetadata": as_sent(matched)}


def delete(ss: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    data_filter = body.get("dataFilter") or {}
    deleted = [entry for entry in every_entry(ss) if _matches(ss, entry, data_filter)]
    gone = {entry["metadataId"] for entry in deleted}
    ss.developer_metadata = [entry for entry in ss.developer_metadata if entry["metadataId"] not in gone]
    for sheet in ss.sheets:
        if sheet.extra.get("developerMetadata"):
            sheet.extra["developerMetadata"] = [entry for entry in sheet.extra["developerMetadata"] if entry["metadataId"] not in gone]
    return {"deletedDeveloperMetadata": as_sent(deleted)}


def every_entry(ss: Spreadsheet) -> list[dict[str, Any]]:
    return [*ss.developer_metadata, *(entry for sheet in ss.sheets for entry in sheet.extra.get("developerMetadata", []))]


def _location(ss: Spreadsheet, location: dict[str, Any]) -> dict[str, Any]:
    if location.get("dimensionRange"):
        msg = "Developer metadata on rows or columns is not supported by the emulator."
        raise RequestError(msg)
    if location.get("spreadsheet"):
        return {"locationType": "SPREADSHEET", "spreadsheet": True}
    if "sheetId" in location:
        sheet = ss.sheet_by_id(int(location["sheetId"]), "developerMetadata.location")
        return {"locationType": "SHEET", "sheetId": sheet.sheet_id}
    msg = "developerMetadata.location must name a sheetId or the spreadsheet."
    raise RequestError(msg)


def _entries_at(ss: Spreadsheet, location: dict[str, Any]) -> list[dict[str, Any]]:
    if location["locationType"] == "SPREADSHEET":
        return ss.developer_metadata
    sheet = ss.sheet_by_id(location["sheetId"])
    entries: list[dict[str, Any]] = sheet.extra.setdefault("developerMetadata", [])
    return entries


def _matches(ss: Spreadsheet, entry: dict[str, Any], data_filter: dict[str, Any]) -> bool:
    lookup = data_filter.get("developerMetadataLookup")
    if lookup is None:
        msg = "Only developerMetadataLookup data filters are supported by the emulator for developer metadata."
        raise RequestError(msg)
    for key in ("metadataId", "metadataKey", "metadataValue", "visibility"):
        if key in lookup and lookup[key] != entry[key]:
            return False
    if "locationType" in lookup and lookup["locationType"] != entry["location"]["locationType"]:
        return False
    if "metadataLocation" in lookup:
        return bool(_location(ss, lookup["metadataLocation"]) == entry["location"])
    return True
