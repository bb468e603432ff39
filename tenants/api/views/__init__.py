"""The REST API views, one module per area. Thin: check access, call a selector or service."""
