"""The pure core: flow definitions, the conversation engine and the recommendation rules.

Nothing in this package does I/O, reads the clock or the environment, or imports a chat SDK.
"""
