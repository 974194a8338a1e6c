"""Personal data: what tenure holds about one person (export) and forgetting it (erase)."""
