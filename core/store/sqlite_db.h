#pragma once
// A thin RAII layer over the SQLite C API (the library Poco::Data::SQLite wraps): prepared
// statements, typed binds and a transaction guard that rolls back unless committed.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/store/store_error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace markbridge {

// The store file exists but cannot be trusted: empty (0 bytes), not an SQLite file, or damaged
// inside. Nothing is written to it; the message says what to do (restore the backup).
class StoreDamaged : public StoreError {
 public:
  using StoreError::StoreError;
};

// Checks an existing store file before it is used: refuses a zero-length file (SQLite would
// silently start a new, empty store in it), a file that is not SQLite, and (PRAGMA quick_check)
// damage anywhere in it. A missing file is fine: a new store is created. Throws StoreDamaged.
void verifyStoreFile(const std::string& path);

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& bind(int index, int64_t value);
  SqliteStatement& bind(int index, std::string_view value);
  // Not copied: `value` must stay alive and unchanged until the statement has run (hot paths).
  SqliteStatement& bindView(int index, std::string_view value);
  SqliteStatement& bindNull(int index);
  // A blob, not copied (like bindView).
  SqliteStatement& bindBlob(int index, std::string_view bytes);
  // True while there is a row to read; false when done.
  bool step();
  // Runs to completion and resets for the next use.
  void run();
  void reset();

  int64_t integer(int column) const;
  std::string text(int column) const;
  // Valid until the next step() or reset().
  std::string_view textView(int column) const;
  // Text or blob bytes, valid until the next step or reset.
  std::string_view blob(int column) const;
  bool isNull(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  explicit SqliteDb(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(std::string_view sql);
  int changes() const;
  int64_t lastInsertId() const;
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class Transaction {
 public:
  explicit Transaction(SqliteDb& db);  // BEGIN IMMEDIATE: writers queue, never deadlock
  ~Transaction();
  void commit();

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace markbridge
