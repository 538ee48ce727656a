"""Figures and reports read result tables, never a live model."""
