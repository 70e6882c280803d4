"""plumb -- Python bindings of libplumb: frames from pandas and numpy, scikit-learn estimators, audit, evaluation,
TreeSHAP and reports. See docs/python.md."""
from ._lib import PlumbError, PlumbIOError, PlumbMemoryError, PlumbValueError, library_path
from ._lib import version as _version
from ._frame import Frame, to_frame
from .model import Model
from .tools import Report, audit, eval, explain, read_csv, report
from .sklearn import (PlumbDecisionTreeClassifier, PlumbDecisionTreeRegressor, PlumbGBMClassifier, PlumbGBMRegressor,
                      PlumbLinearRegression, PlumbLogisticRegression)

__version__ = _version().decode()

__all__ = ["Frame", "Model", "PlumbDecisionTreeClassifier", "PlumbDecisionTreeRegressor", "PlumbError",
           "PlumbGBMClassifier", "PlumbGBMRegressor", "PlumbIOError", "PlumbLinearRegression",
           "PlumbLogisticRegression", "PlumbMemoryError", "PlumbValueError", "Report", "audit", "eval", "explain",
           "library_path", "read_csv", "report", "to_frame"]
