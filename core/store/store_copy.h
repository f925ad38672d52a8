#pragma once
// `markbridge store copy` (issue 18, item 5): a school's whole history moved from its SQLite
// store into a PostgreSQL store: the register (weeks, amendments, registers not taken, totals),
// imports, the admission register and roll sightings, events, the outbox (with its delivered
// references and dead letters' answers), evaluation checkpoints and source state. One
// PostgreSQL transaction: all of it or nothing. Each table is then read back and compared with
// the SQLite file by row count and a SHA-256 over every row in key order; a difference rolls the
// copy back. A school that already has any row in PostgreSQL is refused, never overwritten.

#include <cstdint>
#include <string>
#include <vector>

#include "core/store/store_error.h"

namespace markbridge {

// The school is already in the PostgreSQL database: nothing was copied.
class StoreCopyRefused : public StoreError {
 public:
  using StoreError::StoreError;
};

struct TableCopied {
  std::string table;
  int64_t rows = 0;
  std::string sha256;  // of the rows in key order, equal on both sides
};

// Throws StoreError: the school already in PostgreSQL, a table that differs after the copy (both
// named), or either store's failure.
std::vector<TableCopied> copySqliteToPostgres(const std::string& sqlitePath,
                                              const std::string& postgresUri,
                                              const std::string& school,
                                              const std::string& password = "");

}  // namespace markbridge
