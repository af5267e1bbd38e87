"""Type into a workbook in LibreOffice the way a person at the keyboard does, then save it.

Runs under the system Python (the one with LibreOffice's `uno` module, Debian's python3-uno), not
the project's virtual environment, so it imports nothing from sheetreview. The test that starts it
passes one JSON job file, a workbook and steps done in order:

    {"input": "in.xlsx",
     "steps": [
       {"type": [["Review", "H4", "3"], ...],      # sheet, cell, exactly what is typed
        "numbers": [["Review", "H5", 3], ...],     # stored as numbers (as a paste leaves them)
        "read": {"Review": ["K4", ...]},           # cells to read once recalculated
        "invalid": ["Review"],                     # sheets to count invalid marks on
        "save": {"xlsx": "out.xlsx", "ods": "out.ods", "pdf": "out.pdf"}},
       ...]}

and gets back on stdout one result per step: {"values": {sheet: {cell: text shown}},
"stored": {sheet: {cell: "text" | "value" | "formula" | "empty"}}, "invalid": {sheet: marks}}.
Each typed entry goes to a selected cell through `.uno:EnterString`, the dispatch that the input
line uses on Enter: the text is parsed with the cell's number format, as a keystroke would be. Invalid entries are found with Calc's own Tools >
Detective > Mark Invalid Data, which circles each cell that fails its validity rule.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "ods": "calc8", "pdf": "calc_pdf_Export"}
START_TIMEOUT = 90.0


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe: str) -> object:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def run(job: dict) -> list[dict]:
    profile = tempfile.mkdtemp(prefix="lo-uno-profile-")
    pipe = f"sheetreview-{uuid.uuid4().hex}"
    soffice = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ctx = connect(pipe)
        smgr = ctx.ServiceManager
        desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        try:
            return work(ctx, desktop, job)
        finally:
            # The office may already be gone; its process is waited for below.
            with contextlib.suppress(Exception):
                desktop.terminate()
    finally:
        try:
            soffice.wait(timeout=30)
        except subprocess.TimeoutExpired:
            soffice.kill()
            soffice.wait()
        shutil.rmtree(profile, ignore_errors=True)


def work(ctx: object, desktop: object, job: dict) -> list[dict]:
    url = uno.systemPathToFileUrl(os.path.abspath(job["input"]))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
    if doc is None:
        raise RuntimeError(f"LibreOffice could not open {job['input']}")
    try:
        controller = doc.getCurrentController()
        frame = controller.getFrame()
        # Without its toolbars: this LibreOffice may be the no-GUI build, whose toolbar and status
        # bar controllers abort the office when a dispatch makes them update in a hidden frame.
        frame.LayoutManager.setVisible(False)
        dispatcher = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.DispatchHelper", ctx
        )
        office = (doc, controller, frame, dispatcher)
        return [step(office, s) for s in job["steps"]]
    finally:
        doc.close(True)


def step(office: tuple, todo: dict) -> dict:
    doc, controller, frame, dispatcher = office
    sheets = doc.getSheets()
    for sheet_name, cell, number in todo.get("numbers", []):
        # A number stored as a number, as a paste or another program leaves it: not typing.
        sheets.getByName(sheet_name).getCellRangeByName(cell).setValue(number)
    for sheet_name, cell, text in todo.get("type", []):
        sheet = sheets.getByName(sheet_name)
        controller.setActiveSheet(sheet)
        controller.select(sheet.getCellRangeByName(cell))
        dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", text),))
    doc.calculateAll()
    out: dict = {"values": {}, "stored": {}, "invalid": {}}
    for sheet_name, cells in todo.get("read", {}).items():
        sheet = sheets.getByName(sheet_name)
        out["values"][sheet_name] = {c: sheet.getCellRangeByName(c).getString() for c in cells}
        out["stored"][sheet_name] = {c: stored(sheet.getCellRangeByName(c)) for c in cells}
    for sheet_name in todo.get("invalid", []):
        sheet = sheets.getByName(sheet_name)
        controller.setActiveSheet(sheet)
        before = sheet.getDrawPage().getCount()
        dispatcher.executeDispatch(frame, ".uno:ShowInvalid", "", 0, ())
        out["invalid"][sheet_name] = sheet.getDrawPage().getCount() - before
        dispatcher.executeDispatch(frame, ".uno:ClearArrows", "", 0, ())
    controller.setActiveSheet(sheets.getByIndex(0))
    for kind, target in todo.get("save", {}).items():
        target_url = uno.systemPathToFileUrl(os.path.abspath(target))
        doc.storeToURL(target_url, (prop("FilterName", FILTERS[kind]),))
    return out


def stored(cell: object) -> str:
    """What the cell holds: "text", "value" (a number), "formula" or "empty"."""
    kind = cell.getType().value  # com.sun.star.table.CellContentType
    return {"TEXT": "text", "VALUE": "value", "FORMULA": "formula"}.get(kind, "empty")


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    print(json.dumps(run(job)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
