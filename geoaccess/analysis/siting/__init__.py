"""Venue siting: candidates, cost matrices and exact or bounded solvers."""
