"""Pure business rules and frozen dataclasses: no Django, no storage, no HTTP."""
