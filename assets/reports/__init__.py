"""Reports domain: what people read."""
