"""Peers Tocsin is measured against, each built for the comparison (issue 5)."""
