// libxlsxwriter (Debian's libxlsxwriter-dev), for the xlsx exports.
#include <xlsxwriter.h>
