"""smartspec.web (see the developers' guide for its element)."""
