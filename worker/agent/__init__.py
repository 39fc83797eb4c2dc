"""The support agent: retrieval, redaction, understanding and model backends."""
