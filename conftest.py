"""Test-wide set-up that must happen before any kernel starts.

The lessons' golden numbers (nbval) are defined with one BLAS/OpenMP thread: with several, numpy
and torch split long sums differently on different machines, and the 1000-step runs of lesson 09
drift in the third digit. Kernels inherit this process's environment, so setting it here (and in
tools/refresh_notebooks.py, which stores the numbers) makes every machine add in the same order.
"""

import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
