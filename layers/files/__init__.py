"""Loading and checking each data layer from its files: one loader and validator per layer."""
