"""Channels that reach users beyond the open tab (push, email), through a job queue."""
