"""Command-line tools a test needs: found on PATH, else installed from Debian packages."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def require_tool(command: str, package: str = "") -> str:
    """The path of `command`; installs `package` with apt-get when we may (root or sudo), else
    fails the test loudly (never skips)."""
    package = package or command
    found = shutil.which(command)
    if found:
        return found
    apt = shutil.which("apt-get")
    sudo: list[str] = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if apt is None or (sudo and shutil.which("sudo") is None):
        pytest.fail(f"{command} is needed: install the Debian package {package}")
    install = [*sudo, apt, "-q", "install", "-y", package]
    if subprocess.run(install, capture_output=True, timeout=600, check=False).returncode != 0:
        # A fresh image has no package lists yet.
        subprocess.run([*sudo, apt, "-q", "update"], capture_output=True, timeout=600, check=False)
        subprocess.run(install, capture_output=True, timeout=600, check=False)
    found = shutil.which(command)
    if not found:
        pytest.fail(f"{command} is needed and could not be installed (apt-get {package})")
    return found
