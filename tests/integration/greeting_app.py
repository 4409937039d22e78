"""The standalone app with a host's type template that reads `current_user`, for gunicorn."""

from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader

from app import create_app

app = create_app()
# The host's templates first, as a host app's own templates folder comes before Tocsin's.
app.jinja_loader = ChoiceLoader(
    [FileSystemLoader(Path(__file__).parent / "greeting_templates"), app.jinja_loader]
)
