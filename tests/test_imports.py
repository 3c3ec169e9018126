"""The reader stays light: reading, writing, JSON and the CLI never import torch and friends.

Run in a fresh interpreter, so that nothing another test imported can hide or fake the result.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ["torch", "diffusers", "transformers", "PIL", "numpy", "safetensors", "accelerate", "huggingface_hub"]

SCRIPT = textwrap.dedent("""
    import io, json, sys, tempfile, os
    import aigif
    from aigif import _cli

    obj = aigif.from_json({"data": {"prompt": "a red fox", "seed": 7}, "platform": {"torch": "2.13.0"}})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fox.aigif")
        aigif.write(obj, path)
        back = aigif.read(path)
        assert aigif.to_json(back)["data"]["seed"] == 7
        aigif.from_json(json.dumps(aigif.to_json(back)))
        sys.stdout, saved = io.StringIO(), sys.stdout
        try:
            for args in (["info", path], ["info", "--json", path]):
                try:
                    _cli.main(args)
                except SystemExit as done:
                    assert done.code in (0, None), done.code
        finally:
            sys.stdout = saved
    heavy = %r
    print(json.dumps(sorted(name for name in heavy
                            if name in sys.modules or any(m.startswith(name + ".") for m in sys.modules))))
""")


def test_reading_writing_json_and_cli_do_not_import_heavy_modules():
    script = SCRIPT % (HEAVY,)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_import_aigif_alone_is_light():
    script = ("import sys, json, aigif; "
              f"print(json.dumps(sorted(n for n in {HEAVY!r} if n in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_the_detection_itself_works():
    """Control: the same check does see a heavy module once one is imported (Pillow is a dev dependency)."""
    script = ("import sys, json, aigif, PIL.Image; "
              f"print(json.dumps(sorted(n for n in {HEAVY!r} if n in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["PIL"]


def test_reading_and_the_cli_leave_the_model_library_unloaded():
    """sqlite3 and platformdirs load only when an ``aigif models`` command runs."""
    script = SCRIPT % (["sqlite3", "platformdirs", "aigif._library"],)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
