"""opensource-check: should this code stay closed, become InnerSource, or go open source?"""

__version__ = "0.1.0"
