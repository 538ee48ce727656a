"""Vectorised behaviour rules: plain functions on numpy arrays, no Mesa in them."""
