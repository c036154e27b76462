"""Object storage: key layout and presigned URLs."""
