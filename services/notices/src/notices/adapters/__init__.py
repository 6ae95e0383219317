"""Repositories (tenant-scoped MongoDB) and tenant configuration."""
