"""RetailFlow."""
