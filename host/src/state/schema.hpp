// The store's schema: `PRAGMA user_version` is the version, and forward migrations are a
// list of SQL steps (step i takes version i to i+1). Steps are append-only: a released step
// never changes, because databases in the field were built by it.
#pragma once

#include <string>
#include <vector>

#include "state/sqlite_handle.hpp"

namespace jobhost::state {

// SQL of each migration step, in order; element i migrates version i to i+1.
const std::vector<std::string>& schema_migrations();

// Opens `path` as a store connection: creates the folder, checks that the file is a jobhost
// store whose schema is not newer than ours, sets WAL, synchronous, busy timeout and foreign
// keys, and migrates it forward. Checks happen before anything is written, so a refused file
// is left byte-for-byte untouched. Throws StoreError naming the file.
sql::Db open_store_db(const std::string& path, bool synchronous_full);

// Opens a second connection to a store already opened by open_store_db (no checks, no
// migration), with the same per-connection settings.
sql::Db open_extra_connection(const std::string& path, bool synchronous_full);

// open_extra_connection for the single writer thread, which writes nearly everything in big
// batches: a longer checkpoint interval, the WAL cut back after a checkpoint, a bigger cache.
sql::Db open_writer_connection(const std::string& path, bool synchronous_full);

}  // namespace jobhost::state
