"""Type on the static renderer's page: text measured as matplotlib will set it, and wrapped to a width."""

from __future__ import annotations

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in inches as matplotlib will set it."""
    properties = FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")
    width, _, _ = text_to_path.get_text_width_height_descent(text, properties, ismath=False)
    return width / 72


def wrap(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` inches (measured, not guessed from a character count)."""
    width *= 0.9  # Agg hints glyphs to whole pixels, so text set at a low dpi runs up to ~9% wider than measured
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size, bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while len(line) > 1 and text_width(line, size, bold) > width:  # a word longer than a line: split it
            low, high = 1, len(line) - 1  # the longest prefix that fits, by bisection
            while low < high:
                middle = (low + high + 1) // 2
                low, high = (middle, high) if text_width(line[:middle], size, bold) <= width else (low, middle - 1)
            lines.append(line[:low])
            line = line[low:]
    if line:
        lines.append(line)
    return lines or [""]
