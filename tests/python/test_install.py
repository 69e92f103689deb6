"""@file test_install.py
@brief cmake --install puts the package where the prefix's Python finds it: after an install of
       this build into an empty prefix, PYTHONPATH=PREFIX/<NUMFACTORS_PYTHON_INSTALL_DIR> imports
       numfactors, which counts, and its files are all there.
"""
import os
import subprocess
import sys

BUILD = os.environ["NUMFACTORS_BUILD_DIR"]
INSTALL_DIR = os.environ["NUMFACTORS_PYTHON_INSTALL_DIR"]  # relative to the prefix


def test_install_then_import(tmp_path):
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", BUILD, "--prefix", str(prefix)], check=True,
                   capture_output=True, timeout=120)
    package = prefix / INSTALL_DIR / "numfactors"
    names = sorted(os.listdir(package))
    assert "__init__.py" in names and "_numfactors.pyi" in names and "py.typed" in names
    assert any(n.startswith("_numfactors.") and n.endswith(".so") for n in names)
    # A clean environment: nothing but the installed package on the path, run from elsewhere.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "PYTHONPATH": str(prefix / INSTALL_DIR), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c",
                          "import numfactors; print(numfactors.__file__); "
                          "print(numfactors.histogram(2, 10))"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    where, histogram = out.stdout.splitlines()
    assert where.startswith(str(package))
    assert histogram == "{1: 7, 2: 2}"


def test_install_dir_is_one_this_python_searches_for_its_prefix():
    # lib/python3.X/{dist,site}-packages: the folder this Python searches under its own prefix
    # (Debian: /usr/lib/python3.X/dist-packages and /usr/local/lib/python3.X/dist-packages).
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert INSTALL_DIR in (f"lib/{version}/dist-packages", f"lib/{version}/site-packages")
    searched = [p for p in sys.path if p.endswith(INSTALL_DIR)]
    assert searched, (INSTALL_DIR, sys.path)
