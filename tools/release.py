"""``make release``: regenerate every student version in release/ from source/."""

import sys

from . import notebooks as nbs
from . import pipeline

if __name__ == "__main__":
    for assignment in sys.argv[1:] or nbs.assignments():
        print(f"release/{assignment}")
        pipeline.generate(nbs.REPO_ROOT, assignment)
