"""keyroll: roll the keys of Convox racks and watch each roll live."""

__version__ = "0.1.0"
