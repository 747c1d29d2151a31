#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

#include <stddef.h>

/// Starts counting, from every thread, the heap allocations (malloc, calloc, realloc, aligned_alloc,
/// posix_memalign, memalign) of at least `unit` bytes, and resets the counters. Those whose size is
/// `header` plus a whole multiple of `unit` are also counted apart: with unit = 8·D and header = 32
/// (the header of a Swift array), these are the Swift arrays of m·D doubles, i.e. D-sized buffers.
void allocation_counter_start(size_t unit, size_t header);
/// Stops counting; the counters keep their values.
void allocation_counter_stop(void);
/// Allocations of `header` + m·`unit` bytes (m ≥ 1) since the last start.
size_t allocation_counter_unit_count(void);
/// Allocations of at least `unit` bytes since the last start, whatever their size.
size_t allocation_counter_large_count(void);
/// The total size of the latter, in bytes.
size_t allocation_counter_large_bytes(void);

#endif
