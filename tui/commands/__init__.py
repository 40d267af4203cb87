"""Headless commands: each module has `run(args) -> int`, imported only when it runs."""
