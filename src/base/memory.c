/* memory.c -- large buffers in 2 MiB pages where the kernel has them (base.h says why). */
#define _GNU_SOURCE /* MAP_ANONYMOUS, MADV_HUGEPAGE */
#include "base.h"

#include <stdint.h>

#if defined(__linux__)
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

static size_t mapped_bytes(size_t bytes) {
    return (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

void *plumb__map_large(size_t bytes) {
    if (bytes == 0 || bytes > SIZE_MAX / 2)
        return NULL;
    const size_t n = mapped_bytes(bytes);
    char *raw = mmap(NULL, n + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    /* keep the 2 MiB-aligned middle: the head and tail go back to the kernel */
    char *p = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (raw + n + HUGE_PAGE > p + n)
        munmap(p + n, (size_t)(raw + n + HUGE_PAGE - (p + n)));
    madvise(p, n, MADV_HUGEPAGE); /* advice: without it the mapping still works, in 4 KiB pages */
    return p;
}

void plumb__unmap(void *p, size_t bytes) {
    if (p)
        munmap(p, mapped_bytes(bytes));
}
#else
void *plumb__map_large(size_t bytes) {
    (void)bytes;
    return NULL;
}

void plumb__unmap(void *p, size_t bytes) {
    (void)p;
    (void)bytes;
}
#endif
