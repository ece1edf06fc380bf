import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # `tools` is a folder of the repository, not an installed package

# Tests and the notebooks they run read MNIST from ../shared/data when it is there (CI, offline
# machines), else from the course default; a data root set by the caller wins.
_shared = ROOT.parent / "shared" / "data"
if "VAE_COURSE_DATA" not in os.environ and _shared.is_dir():
    os.environ["VAE_COURSE_DATA"] = str(_shared)
# nbval runs the source notebooks in quick mode.
os.environ.setdefault("VAE_COURSE_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# Under pytest-xdist every worker (and the kernels and nbgrader runs it starts) shares the cores:
# one thread each avoids OpenMP oversubscription, which slows everything down many times over.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

