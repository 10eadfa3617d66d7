"""Use cases with one set of defaults and checks, shared by the CLI, the API, the pages and the jobs."""
