"""smartspec.strategy (see the developers' guide for its element)."""
