"""smartspec.reports (see the developers' guide for its element)."""
