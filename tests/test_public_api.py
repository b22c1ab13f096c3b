"""The curated public API in ``forecast/__init__``: every name loads, and loads the object the
module defines, not a module of the same name (``from forecast import backtest`` once gave
the module ``forecast.backtest``, since a loaded submodule shadows the lazy lookup)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from types import ModuleType

import forecast


def test_every_public_name_is_the_object_its_module_defines():
    for info in pkgutil.walk_packages(forecast.__path__, "forecast."):
        if info.name != "forecast.__main__":
            importlib.import_module(info.name)  # every submodule loaded, as in a long session
    for name in forecast.__all__:
        value = getattr(forecast, name)
        assert not isinstance(value, ModuleType), f"forecast.{name} is a module"
        home = importlib.import_module(forecast._EXPORTS[name])
        assert value is getattr(home, name), name


def test_the_api_loads_nothing_heavy_until_asked():
    # `commitplan --help` must start fast: importing the package loads no pandas.
    code = "import sys, forecast; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
