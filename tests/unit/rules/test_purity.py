import subprocess
import sys
from pathlib import Path

import backend

# backend/__init__.py (the app factory) imports Flask itself, so the check stands in an empty parent
# package and imports only what backend/rules pulls in.
PROBE = """
import sys, types
parent = types.ModuleType("backend")
parent.__path__ = [{backend_dir!r}]
sys.modules["backend"] = parent
import backend.rules, backend.rules.simulate, backend.rules.golden
backend.rules.run_golden_tests(backend.rules.load_demo_rule_set("credit_qt"))
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy"))))
"""


def test_rules_package_imports_neither_flask_nor_sqlalchemy():
    backend_dir = str(Path(backend.__file__).parent)
    code = PROBE.format(backend_dir=backend_dir)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
