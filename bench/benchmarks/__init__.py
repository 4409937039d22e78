"""One module per benchmark; none imports another (run them with `python -m bench`)."""
