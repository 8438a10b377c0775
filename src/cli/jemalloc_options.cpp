// jemalloc's options for the upsync binary, which links jemalloc unless it is built with the
// sanitizers (src/CMakeLists.txt). jemalloc reads this string before its first allocation;
// MALLOC_CONF in the environment is read after it and still wins.
//
// Freed pages go back to the system after about 200 ms, where jemalloc's default keeps them
// for 10 s: a bulk import frees each chunk's memory as it goes, and with 10 s its peak RSS
// grew with the file (102 MB at 1 M users, bench/bulk_import); muzzy pages (freed lazily by
// the kernel) are not kept at all. Measured at the same speed: the import, a full sync
// (bench/sync.sh) and GetPropertiesFor under wrk.
extern "C" {
// NOLINTNEXTLINE: jemalloc looks the global up by this name.
const char* malloc_conf = "dirty_decay_ms:200,muzzy_decay_ms:0";
}
