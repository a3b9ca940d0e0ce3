// glibc's allocator controls (malloc_trim): the C library itself, nothing to link.
#if defined(__linux__)
#include <malloc.h>
#endif
