"""Error messages that say what to do, on one line (issue 13, items 6.4, 6.5, 6.6), and the import
table that neither wraps nor shows long absolute paths (item 6.12)."""

from __future__ import annotations

import dataclasses
import os
import re

import pytest

import aigif
from helpers import raises_code
from helpers import run
from helpers import A1111_TEXT, png_with

ERROR = re.compile(r"^aigif: error: .+ \[([a-z0-9-]+)\]$")


# ---------------------------------------------------------------------------------------------
# 6.12: the import table


def test_the_import_table_shows_relative_paths_whole(tmp_path, monkeypatch):
    """Images deep below the working directory, given by absolute path, at 80 columns: each row
    shows the path relative to the working directory, on one line (it used to fold them)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    folder = tmp_path / "a-rather-long-folder-of-generated-images" / "one-more-level-of-folders-below-it"
    folder.mkdir(parents=True)
    names = [f"an-image-with-a-long-descriptive-name-number-{n}.png" for n in (1, 2)]
    for name in names:
        png_with(folder, {"parameters": A1111_TEXT}, name=name)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    result = run(["import", str(tmp_path / "a-rather-long-folder-of-generated-images")])
    assert result.status == 1  # broken.png was skipped
    text = result.stdout.decode()
    assert str(tmp_path) not in text
    lines = text.splitlines()
    for name in [*names, "broken.png"]:
        shown = f"a-rather-long-folder-of-generated-images/one-more-level-of-folders-below-it/{name}"
        assert any(shown in line for line in lines), text
    assert any("skipped [not-an-image]" in line for line in lines), text
    errors = [line for line in result.lines if line.startswith("aigif: error:")]
    assert len(errors) == 1 and "broken.png" in errors[0] and errors[0].endswith("[not-an-image]")


# ---------------------------------------------------------------------------------------------
# 6.6: a model that is not found


@pytest.fixture
def models():
    pytest.importorskip("diffusers")
    from aigif._recreate import _models

    return _models


def _locate_error(models, name: str, dirs=(), allow_download: bool = False) -> str:
    with raises_code("model-not-found", aigif.RecreateError) as info:
        models.locate(models.entry_for(aigif.Model(id=name)), list(dirs), allow_download)
    message = info.value.message
    assert "\n" not in message and "nowhere" not in message
    return message


def test_an_unknown_model_names_the_nearest_known_ones_and_what_to_do(models, tmp_path):
    message = _locate_error(models, "stable-difusion-v1-5", [tmp_path])
    assert "not a known model" in message and "stable-diffusion-v1-5" in message  # the nearest
    assert str(tmp_path / "stable-difusion-v1-5") in message  # every place looked
    assert "--model-dir DIR" in message and "model_index.json" in message and "DIR/stable-difusion-v1-5" in message


def test_no_model_dir_says_so(models):
    message = _locate_error(models, "my-model")
    assert "looked in no model folder (no --model-dir given)" in message and "--model-dir" in message


def test_a_known_model_that_is_not_here_says_how_to_fetch_it(models, tmp_path):
    message = _locate_error(models, "stable-diffusion-v1-5", [tmp_path])
    assert "is not on this machine" in message and "not a known model" not in message
    assert "--allow-download" in message and "Hugging Face cache" in message
    assert str(tmp_path / "stable-diffusion-v1-5") in message


# ---------------------------------------------------------------------------------------------
# 6.5: a download that fails


def _hub_failure(offline: bool):
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    def snapshot_download(repo, **options):
        if options.get("local_files_only"):
            raise LocalEntryNotFoundError("not in the cache")
        error = LocalEntryNotFoundError(
            "Got: ConnectError: [Errno -2] Name or service not known\nAn error happened while trying to locate the "
            "files on the Hub, and we cannot find the appropriate snapshot folder for the specified revision on the "
            "local disk. Please check your internet connection and try again.")
        error.__cause__ = OfflineModeIsEnabled("offline mode is enabled") if offline else \
            ConnectionError("[Errno -2] Name or service not known")
        raise error

    return snapshot_download


@pytest.mark.parametrize("offline, words", [(False, "offline or cannot reach the Hub"),
                                            (True, "HF_HUB_OFFLINE is set")])
def test_a_failed_download_is_one_clean_line(models, monkeypatch, offline, words):
    monkeypatch.setattr("huggingface_hub.snapshot_download", _hub_failure(offline))
    with raises_code("model-not-found", aigif.RecreateError) as info:
        models.locate(models.entry_for(aigif.Model(id="nobody/no-such-model")), [], True)
    message = info.value.message
    assert "\n" not in message and "\\x" not in message and "  " not in message
    assert message.startswith("model 'nobody/no-such-model' could not be downloaded from the Hugging Face Hub: ")
    assert words in message


@pytest.mark.slow
def test_a_failed_download_in_recreate_is_one_clean_line(models, monkeypatch, tmp_path):
    """The line ``aigif recreate`` prints (it used to show a literal ``\\x0a``)."""
    monkeypatch.setattr("huggingface_hub.snapshot_download", _hub_failure(False))
    monkeypatch.chdir(tmp_path)
    obj = aigif.AigifFile(model=aigif.Model(id="nobody/no-such-model"),
                          data=aigif.Data(prompt="a fox", width=64, height=64, steps=2, seed=1))
    aigif.write(obj, tmp_path / "f.aigif")
    for args in (["recreate", "f.aigif", "--allow-download"],
                 ["save", "s.aigif", "--prompt", "a", "--model", "nobody/no-such-model", "--allow-download",
                  "--steps", "2", "--width", "64", "--height", "64"]):
        result = run(args)
        assert result.status == 1 and len(result.lines) == 1, result.stderr
        line = result.lines[0]
        assert ERROR.match(line) and line.endswith("[model-not-found]") and "\\x" not in line, line
        assert "nobody/no-such-model" in line and "offline" in line
    assert sorted(os.listdir(tmp_path)) == ["f.aigif"]


# ---------------------------------------------------------------------------------------------
# 6.4: a data type save cannot use


def test_save_with_an_unsupported_dtype_does_not_suggest_force(tmp_path):
    """The library's refusal (the CLI's is a usage error: tests/cli/test_cli_usage.py) names the
    supported data types and no switch, since none helps."""
    pytest.importorskip("diffusers")
    with raises_code("cannot-honour", aigif.RecreateError) as info:
        aigif.save(tmp_path / "s.aigif", prompt="a", dtype="float64", steps=2, width=64, height=64)
    assert "--force" not in info.value.message
    assert "supported: float32, float16, bfloat16" in info.value.message
    assert os.listdir(tmp_path) == []


def test_recreate_still_offers_force_for_what_force_ignores(tmp_path):
    """Control: for ``recreate`` the hint is right (``--force`` does recreate, ignoring the data type)."""
    pytest.importorskip("diffusers")
    from aigif._recreate import preflight

    obj = aigif.AigifFile(model=dataclasses.replace(aigif.Model(), id="aigif-tiny-sd", dtype="float64"))
    with raises_code("cannot-honour", aigif.RecreateError) as info:
        preflight(obj)
    assert "--force" in info.value.message
