"""Edit cells of a workbook in LibreOffice through UNO and save it as xlsx, as a focal point would:
``/usr/bin/python3 lo_edit.py IN OUT PORT PROFILE SHEET CELL=TEXT ...`` (run by the system Python, which has
LibreOffice's ``uno``; it starts a headless LibreOffice listening on 127.0.0.1 only, and ends it)."""
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


source, target, port, profile, sheet, *cells = sys.argv[1:]
office = subprocess.Popen(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
                           "--norestore", f"--accept=socket,host=127.0.0.1,port={port};urp;"])
try:
    resolver = uno.getComponentContext().ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", uno.getComponentContext())
    for _ in range(120):
        try:
            ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.5)
    else:
        raise SystemExit("LibreOffice did not answer")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
    ws = doc.Sheets.getByName(sheet)
    for spec in cells:
        ref, value = spec.split("=", 1)
        ws.getCellRangeByName(ref).setString(value)
    doc.storeToURL(uno.systemPathToFileUrl(target), (prop("FilterName", "Calc MS Excel 2007 XML"),))
    doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
finally:
    try:
        office.wait(timeout=30)
    except subprocess.TimeoutExpired:
        office.kill()
