"""Test kit for apps that embed Tocsin: a pytest plugin, a live server and a page object.

The plugin (`tocsin.testing.plugin`, registered as the pytest11 entry point `tocsin`)
offers fixtures and activates none by itself; see docs/testing.md.
"""

from .bell import Bell
from .server import LiveServer, login_cookie

__all__ = ["Bell", "LiveServer", "login_cookie"]
