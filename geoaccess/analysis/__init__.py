"""Caseloads, scenarios, accessibility measures, comparisons and venue siting."""
