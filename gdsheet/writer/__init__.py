"""The workbook writer: one module per part of the sheet, orchestrated by :mod:`.writer`."""
