"""geoaccess: travel-time accessibility for probation services.

How long does it take a person on probation to reach the office, group
programme or unpaid-work site they must attend, and can they get home again?
"""

from importlib.metadata import version

__version__ = version("geoaccess")
"""The installed version (written once, in pyproject.toml)."""
