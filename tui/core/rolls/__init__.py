"""The roll engine: one synchronous, cancellable object per roll kind."""
