#ifndef CLAPACK_SHIM_H
#define CLAPACK_SHIM_H
/* OpenBLAS's CBLAS interface (Debian: libopenblas-dev) and the reference LAPACKE C interface
   (Debian: liblapacke-dev). Debian's OpenBLAS has no LAPACKE symbols, so both are linked. */
#include <cblas.h>
#include <lapacke.h>
#endif
