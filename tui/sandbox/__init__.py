"""The simulated Convox world served on loopback: keyroll's embedded default."""
