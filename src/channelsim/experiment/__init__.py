"""Running configs into result files."""
