"""The ``ibasho`` command line."""
