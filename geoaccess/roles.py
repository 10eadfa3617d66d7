"""Who may do what in the web app, named once for the app and for ``geoaccess users`` (a leaf module)."""

ROLES = ("officer", "manager", "admin")
"""Every role, least to most trusted: officers check journeys, managers plan venues, admins manage users."""
MANAGERS = ("manager", "admin")
"""The roles that may use the planner and the API's caseload analyses."""
