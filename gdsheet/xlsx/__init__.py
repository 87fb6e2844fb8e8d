"""The workbook file: its zip, XML parts, cell edits, saving and locks."""
