#pragma once
// Many small values kept in one PostgreSQL row (a bytea): the kept year's pupils
// (postgres_register_read.h) and the evaluation's checkpoints (postgres_checkpoints.h). A
// thousand rows, each found through the key and sent on its own, cost a register close several
// milliseconds of the server's time; one value, which the server keeps compressed, a fraction.
//
// Each entry: its key's length (2 bytes, big-endian), the key, its value's length (4 bytes,
// big-endian), the value. A row's entries are in key order (byte order, as COLLATE "C").

#include <cstddef>
#include <optional>
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

// A row compressed (LZ4, the codec the server uses) for the store to keep as given: the kept
// year's rows (schema 9). Kept compressed by the server instead, a row is decompressed by it
// for every read and sent whole (a school's 518 KB); compressed here, the server sends what it
// keeps (72 KB) and does no work on it. Nothing when the row cannot be compressed (over LZ4's
// limit of about 2 GB: then kept as it is).
std::optional<std::string> compressRow(std::string_view row);
// The row back, given its size before it was compressed; nothing when `compressed` is not a
// row of that size compressed (broken, cut short, or a size no LZ4 block can give).
std::optional<std::string> decompressRow(std::string_view compressed, std::size_t size);

}  // namespace markbridge
