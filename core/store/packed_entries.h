#pragma once
// Many small values kept in one PostgreSQL row (a bytea): the kept year's pupils
// (postgres_register_read.h) and the evaluation's checkpoints (postgres_checkpoints.h). A
// thousand rows, each found through the key and sent on its own, cost a register close several
// milliseconds of the server's time; one value, which the server keeps compressed, a fraction.
//
// Each entry: its key's length (2 bytes, big-endian), the key, its value's length (4 bytes,
// big-endian), the value. A row's entries are in key order (byte order, as COLLATE "C").

#include <string>
#include <string_view>
#include <vector>

namespace markbridge {

struct PackedEntry {
  std::string_view key, value;
};

// A row's entries, in the order packed, appended to `out`: views into `row`. False, appending
// nothing, when `row` is not a row of entries (cut short, a length overrunning it).
bool unpackEntries(std::string_view row, std::vector<PackedEntry>& out);
// Appends an entry to a row.
void packEntry(std::string& row, std::string_view key, std::string_view value);

}  // namespace markbridge
