"""Channels: the edge where providers meet onward."""
