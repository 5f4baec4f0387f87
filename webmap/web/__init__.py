"""The Flask app: its factory, state, security and one blueprint per audience."""
