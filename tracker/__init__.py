"""tracker: follow diplomatic commitments from the statement that made them to what happened since."""

__version__ = "0.1.0"
