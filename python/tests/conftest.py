"""Shared fixtures: the repository root, the credit example as a DataFrame, and the build's plumb tool."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
if os.environ.get("PLUMB_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.join(ROOT, "python"))


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def credit_csv():
    return os.path.join(ROOT, "examples", "credit", "credit_data.csv")


@pytest.fixture(scope="session")
def credit(credit_csv):
    import pandas as pd

    return pd.read_csv(credit_csv)
