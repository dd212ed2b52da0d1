"""The unprivileged/privileged repository_dispatch pipeline."""
