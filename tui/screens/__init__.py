"""Screens: one module a screen; they render and route, never speak a protocol."""
