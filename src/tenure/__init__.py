"""tenure: the customer relationship after the first sale."""

__version__ = "0.1.0"
