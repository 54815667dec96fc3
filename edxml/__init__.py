"""edxml package."""
