"""The published sheet's numbers, as it displays them (from ../shared/seed/NOTES.md).

These are facts to reproduce, typed in from the published capture, not computed here.
"""

GUESS_LOSS = "125"
SUMMARY_LOSS = "17"  # the descent loss at m = 2.051, b = 25.075

GRID = """
127 121 115 108 102 96 89 83 77 71 66
67 60 54 47 40 34 27 20 13 7 0
37 36 35 36 38 41 45 50 55 60 66
83 87 91 95 100 105 110 115 120 126 131
145 150 154 159 164 170 175 180 186 191 197
209 214 219 224 230 235 240 246 251 257 263
274 279 285 290 295 301 306 312 317 323 328
339 345 350 355 361 366 372 377 383 388 394
"""

# x y m b y_pred error_sq err_m1 de/dm new_m err_b1 de/db new_b
DESCENT_ROWS = """
7 44 2.051 25.075 39.4 21 20 -9 2.052 21 -64 25.081
9 48 2.052 25.081 43.5 20 19 -9 2.053 20 -80 25.089
28 86 2.053 25.089 82.6 12 10 -7 2.053 12 -192 25.109
30 90 2.053 25.109 86.7 11 9 -7 2.054 11 -197 25.128
50 130 2.054 25.128 127.8 5 3 -4 2.055 5 -216 25.150
22 74 2.055 25.150 70.4 13 12 -7 2.055 13 -161 25.166
3 36 2.055 25.166 31.3 22 22 -9 2.056 22 -28 25.169
9 48 2.056 25.169 43.7 19 18 -9 2.057 19 -78 25.177
30 90 2.057 25.177 86.9 10 8 -6 2.058 10 -187 25.195
23 76 2.058 25.195 72.5 12 11 -7 2.058 12 -160 25.211
40 110 2.058 25.211 107.5 6 4 -5 2.059 6 -196 25.231
"""


def table(text: str) -> list[list[str]]:
    """The rows of one of the blocks above, as lists of displayed strings."""
    return [line.split() for line in text.strip().splitlines()]
