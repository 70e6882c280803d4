"""The ctypes mirror of plumb.h: every struct's size and field offsets as the C compiler lays them out, and the
library found and its errors raised as exceptions."""
import ctypes
import os
import shutil
import subprocess

import pytest

import plumb
from plumb import _lib

STRUCTS = {"plumb_error": _lib.Error, "plumb_array_column": _lib.ArrayColumn, "plumb_array_options": _lib.ArrayOptions,
           "plumb_column_info": _lib.ColumnInfo, "plumb_read_options": _lib.ReadOptions,
           "plumb_gbdt_params": _lib.GbdtParams, "plumb_tree_params": _lib.TreeParams,
           "plumb_linear_params": _lib.LinearParams, "plumb_model_info": _lib.ModelInfo,
           "plumb_predict_options": _lib.PredictOptions, "plumb_importance": _lib.Importance,
           "plumb_coefficient": _lib.Coefficient, "plumb_linear_info": _lib.LinearInfo,
           "plumb_finding": _lib.Finding, "plumb_audit_options": _lib.AuditOptions,
           "plumb_metric_data": _lib.MetricData, "plumb_evaluation_options": _lib.EvaluationOptions,
           "plumb_evaluation": _lib.Evaluation, "plumb_run_options": _lib.RunOptions}


@pytest.mark.skipif(not shutil.which("cc"), reason="no C compiler")
def test_structs_match_the_header(root, tmp_path):
    lines = ["#include <plumb/plumb.h>", "#include <stddef.h>", "#include <stdio.h>", "int main(void) {"]
    for cname, cls in STRUCTS.items():
        lines.append(f'printf("{cname} %zu\\n", sizeof({cname}));')
        for field, _ in cls._fields_:
            lines.append(f'printf("{cname}.{field} %zu\\n", offsetof({cname}, {field}));')
    lines += ["return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run(["cc", "-std=c17", "-I", os.path.join(root, "include"), str(src), "-o", str(exe)], check=True)
    got = dict(line.rsplit(" ", 1) for line in subprocess.run([str(exe)], capture_output=True, text=True,
                                                                check=True).stdout.splitlines())
    for cname, cls in STRUCTS.items():
        assert int(got[cname]) == ctypes.sizeof(cls), cname
        for field, _ in cls._fields_:
            assert int(got[f"{cname}.{field}"]) == getattr(cls, field).offset, f"{cname}.{field}"


def test_library_errors_are_exceptions_with_file_line_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('a,b\n1,2\n3,"x\n')
    with pytest.raises(plumb.PlumbValueError) as e:
        plumb.read_csv(str(bad))
    assert str(e.value).startswith(f"{bad}:3:")
    assert e.value.path == str(bad) and e.value.line == 3 and e.value.status_name == "PLUMB_EPARSE"
    with pytest.raises(plumb.PlumbIOError) as e:
        plumb.read_csv(str(tmp_path / "absent.csv"))
    assert "absent.csv" in str(e.value)
    junk = tmp_path / "junk.plumb"
    junk.write_text("hello")
    with pytest.raises(plumb.PlumbValueError, match="not a plumb model file"):
        plumb.Model.load(str(junk))


def test_library_dir_from_the_environment(tmp_path):
    env = dict(os.environ, PLUMB_LIBRARY_DIR=str(tmp_path))
    code = "import plumb"
    r = subprocess.run([os.sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       cwd=os.path.dirname(os.path.dirname(plumb.__file__)))
    assert r.returncode != 0 and "cannot find libplumb" in r.stderr and str(tmp_path) in r.stderr
    env["PLUMB_LIBRARY_DIR"] = os.path.dirname(plumb.library_path)
    r = subprocess.run([os.sys.executable, "-c", "import plumb; print(plumb.library_path)"], env=env,
                       capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(plumb.__file__)))
    assert r.returncode == 0, r.stderr
    assert os.path.dirname(plumb.library_path) in r.stdout
