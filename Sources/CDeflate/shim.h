// zlib (Debian's zlib1g-dev): deflate and CRC-32 for the xlsx exports' zip container.
#include <zlib.h>
