"""Notifications: storage, services, views and partials."""
