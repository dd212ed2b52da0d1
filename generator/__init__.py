"""repowarden generator: config to least-privilege GitHub Actions files."""
