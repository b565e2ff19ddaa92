// zlib's gzip reader, exposed to Swift. The library reads plain files too, so one
// code path serves `.gz` and uncompressed input alike.
#include <zlib.h>
