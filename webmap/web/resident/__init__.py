"""The resident page 近くの居場所 (/near) and its API."""
