"""Feature services: one transaction per call, frozen dataclasses out."""
