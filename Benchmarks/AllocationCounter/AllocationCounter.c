// Counts large heap allocations for the benchmarks by interposing the glibc allocation entry points:
// an executable that defines malloc & co. takes precedence over libc's definitions for every caller,
// the Swift runtime included. Each wrapper forwards to glibc's own implementation (__libc_malloc, …),
// so memory is still managed by glibc and `free` needs no wrapper. Counting is off unless started.
#define _GNU_SOURCE
#include "AllocationCounter.h"
#include <errno.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static atomic_bool counting = false;
static atomic_size_t unit_size = 1;
static atomic_size_t header_size = 0;
static atomic_size_t unit_count = 0;
static atomic_size_t large_count = 0;
static atomic_size_t large_bytes = 0;

static void record(size_t size) {
    if (!atomic_load_explicit(&counting, memory_order_relaxed)) return;
    size_t unit = atomic_load_explicit(&unit_size, memory_order_relaxed);
    size_t header = atomic_load_explicit(&header_size, memory_order_relaxed);
    if (size < unit) return;
    atomic_fetch_add_explicit(&large_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&large_bytes, size, memory_order_relaxed);
    if (size >= header + unit && (size - header) % unit == 0) {
        atomic_fetch_add_explicit(&unit_count, 1, memory_order_relaxed);
    }
}

void allocation_counter_start(size_t unit, size_t header) {
    atomic_store(&unit_size, unit > 0 ? unit : 1);
    atomic_store(&header_size, header);
    atomic_store(&unit_count, 0);
    atomic_store(&large_count, 0);
    atomic_store(&large_bytes, 0);
    atomic_store(&counting, true);
}

void allocation_counter_stop(void) { atomic_store(&counting, false); }
size_t allocation_counter_unit_count(void) { return atomic_load(&unit_count); }
size_t allocation_counter_large_count(void) { return atomic_load(&large_count); }
size_t allocation_counter_large_bytes(void) { return atomic_load(&large_bytes); }

void *malloc(size_t size) {
    record(size);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
    record(n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *pointer, size_t size) {
    record(size);
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    record(size);
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    record(size);
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    record(size);
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}
