import sys
from pathlib import Path
import pytest

@pytest.fixture(autouse=True)
def _no_chromium(monkeypatch):
    mod = next(m for n, m in sys.modules.items() if n.endswith("browser.conftest"))
    monkeypatch.setattr(mod, "CHROMIUM", Path("/nonexistent/chromium"))

def test_x(browser):
    pass
