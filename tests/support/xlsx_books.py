"""Hand-written workbook parts in Excel's own style, and zip/XML readers, shared by the xlsx tests."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def cell_xml(xml: str, ref: str) -> str:
    """The whole <c> element of ``ref`` in a sheet's XML text."""
    m = re.search(rf"<c\s[^>]*?\br=[\"']{ref}[\"'][^>]*?(?:/>|>.*?</c>)", xml, re.S)
    assert m, f"no cell {ref}"
    return m.group(0)


SHEET_ROOT = (
    f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
    'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" '
    'xr:uid="{00000000-0001-0000-0000-000000000000}">'
)
SHEET_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + SHEET_ROOT + '<dimension ref="A1:E5"/>'
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><sheetData>\n'
    '  <row r="1" spans="1:5" x14ac:dyDescent="0.25"><c r="A1" t="inlineStr"><is><t>x</t></is></c>'
    '<c r="B1" s="1"/><c r="C1" t="s"><v>0</v></c></row>\n'
    '  <row r="2" spans="1:5" x14ac:dyDescent="0.25"><c r="A2"><v>1</v></c>'
    '<c r="C2"><f t="shared" ref="C2:C5" si="0">A2*2</f><v>2</v></c>'
    "<c s='1' r='D2' t=\"str\"><f>\"a\"&amp;A2</f><v>a1</v></c>"
    '<c r="E2"><f t="array" ref="E2:E3">A2:A3*10</f><v>10</v></c></row>\n'
    '  <row r="3" spans="1:5" x14ac:dyDescent="0.25"><c r="A3"><v>2</v></c>'
    '<c r="C3"><f t="shared" si="0"/><v>4</v></c><c r="E3"><v>20</v></c></row>\n'
    '  <row r="4" spans="1:5" x14ac:dyDescent="0.25"><c r="A4" s="1"><v>3</v></c>'
    '<c r="C4"><f t="shared" si="0"/><v>6</v></c></row>\n'
    '  <row r="5" spans="1:5" ht="20" customHeight="1" x14ac:dyDescent="0.25"/>\n'
    "</sheetData>"
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
)
CALC_CHAIN = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<calcChain xmlns="{MAIN_NS}">'
CALC_CHAIN += '<c r="C2" i="1"/><c r="C3" s="1"/><c r="C4" s="1"/><c r="D2"/><c r="E2" a="1"/></calcChain>'
STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<styleSheet xmlns="{MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def excel_style_book(path: Path, *, calc_pr: bool = True, vba: bytes | None = None, sheet: str = SHEET_XML) -> Path:
    """A minimal workbook as Excel writes it; the sheet target is absolute, the others relative."""
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    main = "application/vnd.ms-excel.sheet.macroEnabled.main+xml" if vba else f"{ct}.sheet.main+xml"
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + ('<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' if vba else "")
        + f'<Override PartName="/xl/workbook.xml" ContentType="{main}"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
        f'<Override PartName="/xl/calcChain.xml" ContentType="{ct}.calcChain+xml"/></Types>'
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    book_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId4" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId5" Type="{rel}/calcChain" Target="calcChain.xml"/>'
        + ('<Relationship Id="rId6" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
           'Target="vbaProject.bin"/>' if vba else "")
        + f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="/xl/worksheets/sheet1.xml"/></Relationships>'
    )  # fmt: skip
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15 xr xr6 xr10 xr2" '
        'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
        'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
        'xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6" '
        'xmlns:xr10="http://schemas.microsoft.com/office/spreadsheetml/2016/revision10" '
        'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2">'
        '<workbookPr defaultThemeVersion="166925"/><bookViews><workbookView xWindow="0" yWindow="0" '
        'windowWidth="28800" windowHeight="12300"/></bookViews>'
        '<sheets><sheet name="Data &amp; Co" sheetId="1" r:id="rId1"/></sheets>'
        '<definedNames><definedName name="log" localSheetId="0">\'Data &amp; Co\'!$A$1</definedName>'
        "<definedName name=\"log\">'Data &amp; Co'!$A$2:$A$4</definedName></definedNames>"
        + ('<calcPr calcId="191029"/>' if calc_pr else "")
        + '<extLst><ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}" '
        'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main">'
        '<x15:workbookPr chartTrackingRefBase="1"/></ext></extLst></workbook>'
    )
    shared = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<sst xmlns="{MAIN_NS}" count="1" '
        'uniqueCount="1"><si><t>y</t></si></sst>'
    )
    parts = {
        "[Content_Types].xml": types,
        "_rels/.rels": root_rels,
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": book_rels,
        "xl/worksheets/sheet1.xml": sheet,
        "xl/styles.xml": STYLES,
        "xl/sharedStrings.xml": shared,
        "xl/calcChain.xml": CALC_CHAIN,
        "customXml/item1.xml": "<custom>keep me</custom>",
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
        if vba is not None:
            z.writestr("xl/vbaProject.bin", vba, compress_type=zipfile.ZIP_STORED)
    return path


PREFIXED = re.sub(r"<(/?)(?=[a-zA-Z])(?!\w+:)", r"<\1x:", SHEET_XML).replace(
    "x:worksheet xmlns=", "x:worksheet xmlns:x="
)
