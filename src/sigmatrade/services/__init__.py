"""Use cases. Services own their DB transactions; notifications go out only after commit."""
