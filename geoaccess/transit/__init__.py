"""Public transport: timetables (GTFS, ATOC CIF, the modelled default) and the RAPTOR router."""
