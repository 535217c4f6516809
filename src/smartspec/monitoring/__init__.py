"""smartspec.monitoring (see the developers' guide for its element)."""
