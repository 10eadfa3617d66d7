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

CASELOAD_MAX_ROWS = 100_000
"""Most rows below the heading a caseload may have (CSV records, or the last worksheet row number less one)."""
CASELOAD_MAX_COLUMNS = 50
"""Most columns a caseload may have (CSV fields in a record; the last worksheet column used, AX)."""
CASELOAD_MAX_CELLS = 2_000_000
"""Most cells an .xlsx caseload's first worksheet may hold."""
CASELOAD_MAX_FILE_BYTES = 20 * 1024 * 1024
"""Largest caseload file (.csv or .xlsx) read, in bytes."""
CASELOAD_XLSX_MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
"""Largest total an .xlsx caseload's parts may unpack to, each part and all of them together, in bytes."""
CASELOAD_XLSX_MAX_RATIO = 100
"""Most an .xlsx part over 1 MB unpacked may be compressed (unpacked size over packed size)."""
CASELOAD_XLSX_MAX_MEMBERS = 1000
"""Most parts (zip members) an .xlsx caseload may have."""
CASELOAD_READ_SECONDS = 30.0
"""Longest a caseload file may take to read (wall clock), before its rows are checked and geocoded."""
CASELOAD_READER_MEMORY_BYTES = 1024 * 1024 * 1024
"""Most resident memory of the child process that reads one uploaded caseload (100,000 rows need ~400 MB)."""
CASELOAD_READER_CPU_SECONDS = 60
"""Most CPU time the child process reading one uploaded caseload may use (a 100,000-row .xlsx takes ~10 s)."""
CASELOAD_READER_WALL_SECONDS = 90.0
"""Longest the web app waits for one uploaded caseload to be read, checked and geocoded."""
CASELOAD_READERS = 2
"""Most uploaded caseloads the web app reads at once; further uploads wait (up to the wall limit) or get 503."""
MOST_COMPARED_SCENARIOS = 10
"""Most scenarios one comparison (or measures job) may take: each is a full pass over the caseload."""

# --- timetable and road-network files an admin loads (security issue 11) ---------------------------
# Generous on purpose: each is several times what a real load needs (the North West England BODS GTFS
# is ~100 MB zipped and ~1 GB unzipped; a Geofabrik county PBF is 100+ MB; a full ATOC CIF is ~600 MB),
# so only a damaged or hostile file meets them. Read when a file is read, so tests can lower them.
GTFS_MAX_ZIP_BYTES = 2 * 1024**3
"""Largest GTFS .zip read, in bytes (2 GB)."""
GTFS_MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
"""Most bytes a GTFS feed's files may hold unpacked, each and all together (zip members, or a folder's files)."""
GTFS_MAX_RATIO = 100
"""Most a GTFS zip member over 1 MB unpacked may be compressed (unpacked size over packed size; CSV text is ~5-15)."""
GTFS_MAX_MEMBERS = 1000
"""Most members (files and folders) a GTFS .zip may list; a feed has about 15."""
GTFS_MAX_COLUMNS = 500
"""Most columns a GTFS file's header may name (the specification's files have under 30)."""
GTFS_MAX_HEADER_BYTES = 64 * 1024
"""Longest header line (the first line) of a GTFS file, in bytes."""
CIF_MAX_FILE_BYTES = 2 * 1024**3
"""Largest ATOC CIF file read, in bytes (2 GB)."""
CIF_MAX_LINE_CHARS = 1000
"""Longest line a CIF file may have (its records are 80 characters); a longer one is refused unread."""
OSM_MAX_FILE_BYTES = 8 * 1024**3
"""Largest OpenStreetMap file read (.osm, .osm.bz2, .osm.pbf), in bytes (a Geofabrik Great Britain PBF is ~2 GB)."""
OSM_MAX_XML_BYTES = 16 * 1024**3
"""Most a compressed OpenStreetMap XML file (.osm.bz2) may unpack to, in bytes (a county's XML is 1-2 GB)."""
OSM_MAX_XML_RATIO = 100
"""Most a .osm.bz2 may be compressed (unpacked bytes over packed bytes, checked past 64 MB; real XML is ~10-20)."""

# --- what the data in use covers (issue 12) ---------------------------------------------------------
NETWORK_COVERAGE_M = 5000.0
"""Farthest a place may be from the nearest node of a road network it is routed on (straight line, metres)."""
PROXY_COVERAGE_M = 15_000.0
"""The same for the pack's offline proxy, which covers the pack's land (its farthest point is ~10 km from a node)."""
STRAIGHT_WALK_DETOUR = 1.3
"""Walks are straight lines times this, at walking speed, where no walk network covers a timetable's area."""
