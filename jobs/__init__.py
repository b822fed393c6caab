"""The RQ job functions. Each takes ids, opens its own app context, and is safe to run twice."""
