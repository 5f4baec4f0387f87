"""Printed sheets (A4/A3 PNG, PDF, SVG) drawn with matplotlib."""
