"""The defaults a user meets, each set once here (a leaf module: the CLI reads it without loading the engines)."""

WALK_LIMIT_M = 2000.0
"""Longest walk from home to a stop, or from a stop to the venue."""
MAX_TRANSFERS = 4
"""Most changes of vehicle in one journey."""
MARGIN_MIN = 10
"""Arrive this many minutes before a session starts."""
MOST_MARGIN_MIN = 120
"""The longest arrive-early margin anyone may ask for."""
THRESHOLDS_MIN = (30, 60, 90, 120)
"""Travel-time thresholds the measures count people within (minutes); the last is 'over two hours'."""
LONG_JOURNEY_MIN = THRESHOLDS_MIN[-1]
"""A journey longer than this either way is flagged."""
DAY = "wed"
"""Weekday of the public transport departure window."""
WINDOW = "07:00-10:00"
"""The public transport departure window (HH:MM-HH:MM): medians are taken over its departures."""
SUPPRESS_BELOW = 5
"""Area counts below this are suppressed."""

SITING_OBJECTIVES = ("pmedian", "mclp", "over120")
"""Mean time; most people within the threshold; fewest over it or with no way."""
SITING_COSTS = ("car", "transit", "roundtrip")
"""Car minutes; public transport over the window (median); the session round trip (the longer way)."""
SITING_OBJECTIVE = "over120"
"""By default, leave the fewest people over two hours each way or without a way there or home."""
SITING_COST = "roundtrip"
SITING_PROGRAMME = "BBR"
SITING_TIME_LIMIT_S = 60.0
"""Seconds for the integer program before the best answer found is returned with its gap."""
