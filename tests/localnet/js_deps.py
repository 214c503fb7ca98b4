"""The official JavaScript SDK, installed from npm at test time (never copied into the repo)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Installed outside git's view (var/ is ignored) and reused between runs.
DEPS = REPO / "var" / "js-stellar-sdk"
SDK_SPEC = "@stellar/stellar-sdk@17"
SDK_DIR = DEPS / "node_modules" / "@stellar" / "stellar-sdk"
# The SDK's own browser build: a UMD script that defines the global `StellarSdk`.
BROWSER_BUNDLE = SDK_DIR / "dist" / "stellar-sdk.min.js"


def installed_sdk() -> Path:
    """The directory whose node_modules holds the SDK, running `npm install` the first time."""
    if (SDK_DIR / "package.json").exists():
        return DEPS
    DEPS.mkdir(parents=True, exist_ok=True)
    manifest = DEPS / "package.json"
    if not manifest.exists():
        manifest.write_text(json.dumps({"name": "sozu-js-sdk-cache", "private": True}))
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", SDK_SPEC],
        cwd=DEPS,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"npm could not install {SDK_SPEC}:\n{done.stderr}")
    return DEPS
