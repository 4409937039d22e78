"""What happened to notifications after they were sent: counted per day, type, channel and
event off the publish path, and shown to admins (views.py)."""
