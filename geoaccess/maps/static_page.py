"""The static renderer's page: the A4 sheet's measurements and the two inks its type and furniture share.

All lengths are in inches from the bottom-left corner of the page.
"""

from __future__ import annotations

PAGE = (297 / 25.4, 210 / 25.4)  # A4 landscape in inches (11.69 x 8.27)
MARGIN = 0.35
PANEL_WIDTH = 2.75  # legend, scale bar and north arrow to the right of the map
GAP = 0.20  # between the map and the panel

INK = "#222222"
MUTED = "#555555"
