#include "core/store/sqlite_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace markbridge {
namespace {

constexpr const char* kRestoreAdvice =
    ": stop the service and restore the store from its latest backup (docs/operations.md, "
    "\"Back up the SQLite store\"); markbridge will not start a new store over it";

[[noreturn]] void damaged(const std::string& path, const std::string& what) {
  throw StoreDamaged("the store file " + path + " " + what + kRestoreAdvice);
}

// Refuses an existing file that is empty (cheap: every open does it). Looks at the size alone:
// Linux drops every POSIX lock a process holds on a file when it closes any descriptor to it,
// so a descriptor of our own on the store would drop the lock the service's open connection
// holds, and another process closing the store would then remove the log the service writes.
void checkStoreSize(const std::string& path) {
  std::error_code error;
  auto size = std::filesystem::file_size(path, error);
  if (error) return;  // no file yet: a new store
  if (size == 0) damaged(path, "is empty (0 bytes): it was truncated or never written");
}

// Refuses a file that is not SQLite at all, reading its header through SQLite's own descriptor
// (see checkStoreSize for why never one of ours). Closes `db` before it throws.
void checkStoreHeader(sqlite3* db, const std::string& path) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr)
    return;  // an in-memory store
  char header[16] = {};
  int rc = file->pMethods->xRead(file, header, sizeof header, 0);
  if (rc == SQLITE_OK &&
      std::string_view(header, sizeof header) == std::string_view("SQLite format 3\0", 16))
    return;
  sqlite3_close(db);
  damaged(path, "is not a Markbridge store (it does not start with the SQLite header)");
}

// A new store is made whole under a temporary name and then linked into place, so a store file
// that exists always has SQLite's first page: a 0-byte store can only be a file that was
// truncated, never a first start that was killed before its first write. link() (not rename)
// never replaces a store another process made in the meantime.
void createStoreFile(const std::string& path) {
  std::string fresh = path + ".new-" + std::to_string(::getpid());
  std::filesystem::remove(fresh);
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(fresh.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db,
                      "PRAGMA synchronous=FULL; CREATE TABLE store_created(at INTEGER); "
                      "DROP TABLE store_created;",
                      nullptr, nullptr, nullptr);
  std::string message = rc == SQLITE_OK ? "" : (db ? sqlite3_errmsg(db) : "out of memory");
  sqlite3_close(db);
  if (!message.empty()) {
    std::filesystem::remove(fresh);
    throw StoreError("cannot create store " + path + ": " + message);
  }
  if (::link(fresh.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    message = std::strerror(errno);
    std::filesystem::remove(fresh);
    throw StoreError("cannot create store " + path + ": " + message);
  }
  std::filesystem::remove(fresh);
  auto folder = std::filesystem::absolute(path).parent_path();
  if (int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw StoreError(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

SqliteStatement::SqliteStatement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
      SQLITE_OK)
    fail(db, "prepare '" + std::string(sql.substr(0, 60)) + "'");
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK)
    fail(db_, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bindView(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_STATIC) != SQLITE_OK)
    fail(db_, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bindBlob(int index, std::string_view bytes) {
  if (sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                        SQLITE_STATIC) != SQLITE_OK)
    fail(db_, "bind");
  return *this;
}

std::string_view SqliteStatement::blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return data ? std::string_view(static_cast<const char*>(data), static_cast<std::size_t>(size))
              : std::string_view{};
}

SqliteStatement& SqliteStatement::bindNull(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

bool SqliteStatement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string message = sqlite3_errmsg(db_);
  sqlite3_reset(stmt_);
  throw StoreError("step: " + message);
}

void SqliteStatement::run() {
  while (step()) {
  }
  reset();
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string SqliteStatement::text(int column) const {
  auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
              : std::string();
}

std::string_view SqliteStatement::textView(int column) const {
  auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return data
             ? std::string_view(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string_view();
}

bool SqliteStatement::isNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

SqliteDb::SqliteDb(const std::string& path) {
  checkStoreSize(path);
  std::error_code missing;
  if (path != ":memory:" && !std::filesystem::exists(path, missing)) createStoreFile(path);
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw StoreError("cannot open store " + path + ": " + message);
  }
  checkStoreHeader(db_, path);
  sqlite3_busy_timeout(db_, 10000);
}

void verifyStoreFile(const std::string& path) {
  checkStoreSize(path);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    damaged(path, "cannot be opened (" + message + ")");
  }
  checkStoreHeader(db, path);
  sqlite3_busy_timeout(db, 10000);
  std::string found;
  sqlite3_stmt* check = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(5)", -1, &check, nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(check)) == SQLITE_ROW) {
      auto* line = reinterpret_cast<const char*>(sqlite3_column_text(check, 0));
      std::string text = line ? line : "";
      if (text != "ok") found += (found.empty() ? "" : "; ") + text;
    }
  }
  if (rc != SQLITE_DONE && found.empty()) found = sqlite3_errmsg(db);
  sqlite3_finalize(check);
  sqlite3_close(db);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return;  // in use by a sync: checked next time
  if (!found.empty()) damaged(path, "is damaged (SQLite quick_check: " + found + ")");
}

SqliteDb::~SqliteDb() {
  sqlite3_close_v2(db_);
}

void SqliteDb::exec(std::string_view sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError(message);
  }
}

int SqliteDb::changes() const {
  return sqlite3_changes(db_);
}
int64_t SqliteDb::lastInsertId() const {
  return sqlite3_last_insert_rowid(db_);
}

Transaction::Transaction(SqliteDb& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (const StoreError&) {
      // The transaction is gone already (e.g. the connection failed); nothing left to undo.
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace markbridge
