"""Hardening tests: load, faults, protections and fuzzing of socketsundso endpoints."""
