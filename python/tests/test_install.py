"""pip install of the package, offline (Debian's pip and setuptools, no index), into a folder of its own: the
installed copy imports, finds libplumb through PLUMB_LIBRARY_DIR and fits a model."""
import os
import shutil
import subprocess
import sys

import plumb


def test_pip_install_offline(root, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(os.path.join(root, "python"), src, ignore=shutil.ignore_patterns("tests", "__pycache__", "build",
                                                                                    "*.egg-info"))
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-build-isolation", "--no-deps",
                        "--disable-pip-version-check", "--target", str(target), str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (target / "plumb" / "sklearn.py").exists()
    code = ("import plumb, numpy as np; X = np.random.RandomState(0).rand(200, 3); y = (X[:, 0] > 0.5).astype(int);"
            "m = plumb.PlumbGBMClassifier(n_estimators=5).fit(X, y); print(plumb.__file__); print(m.score(X, y))")
    env = dict(os.environ, PYTHONPATH=str(target), PLUMB_LIBRARY_DIR=os.path.dirname(plumb.library_path))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    where, score = r.stdout.split()
    assert where.startswith(str(target)) and float(score) > 0.9
