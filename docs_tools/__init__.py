"""Tools for the user guides (docs/): the screenshots script, whose steps double as the guides' tests."""
