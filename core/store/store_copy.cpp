#include "core/store/store_copy.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <memory>

#include "core/domain/digest.h"
#include "core/store/postgres_checkpoints.h"
#include "core/store/postgres_db.h"
#include "core/store/postgres_import.h"
#include "core/store/postgres_store.h"
#include "core/store/sqlite_db.h"
#include "core/store/store.h"
#include "core/store/sync_lease.h"

namespace markbridge {
namespace {

// A school's history: every table of the SQLite store, in the order they are copied. (The
// PostgreSQL store's own tables, schema_version and sync_runs, are not a school's.)
constexpr const char* kTables[] = {"pupils",
                                   "imports",
                                   "register_weeks",
                                   "amendments",
                                   "registers_not_taken",
                                   "register_totals",
                                   "attendance_totals",
                                   "source_state",
                                   "events",
                                   "outbox",
                                   "evaluation_checkpoints",
                                   "on_roll",
                                   "on_roll_changes",
                                   "roll_seen",
                                   "roll_listings"};

// Rows sent to PostgreSQL per COPY.
constexpr int kRowsPerCopy = 20'000;

enum class Kind { Int32, Int64, Bytes };

struct Column {
  std::string name;
  Kind kind = Kind::Bytes;
};

struct Table {
  std::string name;
  std::vector<Column> columns;  // the SQLite table's, typed as PostgreSQL has them
  std::string keys;             // its primary key's columns, for "ORDER BY"
};

// One row's values, the same bytes on both sides, into the table's SHA-256.
class RowDigest {
 public:
  void null() { sha_.update("N;"); }
  void integer(int64_t v) { sha_.update("I" + std::to_string(v) + ";"); }
  void bytes(std::string_view v) {
    sha_.update("B" + std::to_string(v.size()) + ":");
    sha_.update(v);
  }
  std::string hex() { return sha_.hex(); }

 private:
  Sha256 sha_;
};

Table describe(SqliteDb& sqlite, PgConnection& pg, const std::string& name) {
  PgStatement types(pg,
                    "SELECT column_name, data_type FROM information_schema.columns WHERE "
                    "table_schema=current_schema() AND table_name=$1",
                    "read the PostgreSQL store's columns");
  types.bind(1, name);
  std::vector<Column> pgColumns;
  while (types.step()) {
    auto type = types.text(1);
    pgColumns.push_back({types.text(0), type == "integer" || type == "smallint" ? Kind::Int32
                                        : type == "bigint"                      ? Kind::Int64
                                                                                : Kind::Bytes});
  }
  Table table{name, {}, ""};
  SqliteStatement info(sqlite.handle(), "SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid");
  info.bind(1, name);
  std::vector<std::pair<int64_t, std::string>> keys;
  while (info.step()) {
    auto column = info.text(0);
    if (info.integer(1) > 0) keys.emplace_back(info.integer(1), column);
    const Column* found = nullptr;
    for (const auto& c : pgColumns)
      if (c.name == column) found = &c;
    if (!found)
      throw StoreError("the SQLite store's table " + name + " has a column " + column +
                       " the PostgreSQL store has not: is the SQLite store from a newer "
                       "Markbridge? Copy it with that version");
    table.columns.push_back(*found);
  }
  if (table.columns.empty())
    throw StoreError("the SQLite store has no table " + name + ": is it a Markbridge store?");
  std::sort(keys.begin(), keys.end());
  for (const auto& [at, column] : keys) table.keys += (table.keys.empty() ? "" : ", ") + column;
  return table;
}

std::string columnList(const Table& table) {
  std::string list;
  for (const auto& c : table.columns) list += (list.empty() ? "" : ", ") + c.name;
  return list;
}

// Copies the table's rows (in key order) and returns their count and digest.
TableCopied copyTable(SqliteDb& sqlite, PgConnection& pg, const Table& table,
                      const std::string& school) {
  SqliteStatement read(sqlite.handle(), "SELECT " + columnList(table) + " FROM " + table.name +
                                            " ORDER BY " + table.keys);
  const std::string copy =
      "COPY " + table.name + "(school, " + columnList(table) + ") FROM STDIN (FORMAT binary)";
  const std::string purpose = "copy the table " + table.name;
  RowDigest digest;
  auto rows = std::make_unique<PgCopyRows>();
  TableCopied copied{table.name, 0, ""};
  const int fields = static_cast<int>(table.columns.size());
  while (read.step()) {
    rows->row(fields + 1);
    rows->bytes(school);
    for (int i = 0; i < fields; ++i) {
      const auto& column = table.columns[static_cast<std::size_t>(i)];
      if (read.isNull(i)) {
        rows->null();
        digest.null();
      } else if (column.kind == Kind::Bytes) {
        rows->bytes(read.blob(i));
        digest.bytes(read.blob(i));
      } else {
        auto v = read.integer(i);
        if (column.kind == Kind::Int32) {
          if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
            throw StoreError("the SQLite store's " + table.name + "." + column.name + " holds " +
                             std::to_string(v) + ", too large for PostgreSQL's integer");
          rows->integer(static_cast<int32_t>(v));
        } else {
          rows->bigint(v);
        }
        digest.integer(v);
      }
    }
    if (++copied.rows % kRowsPerCopy == 0) {
      pg.copyIn(copy, rows->finish(), purpose);
      rows = std::make_unique<PgCopyRows>();
    }
  }
  if (rows->rows() > 0) pg.copyIn(copy, rows->finish(), purpose);
  copied.sha256 = digest.hex();
  return copied;
}

// The school's rows of the table as PostgreSQL now holds them: their count and digest.
TableCopied readBack(PgConnection& pg, const Table& table, const std::string& school) {
  PgStatement read(pg,
                   "SELECT " + columnList(table) + " FROM " + table.name +
                       " WHERE school=$1 ORDER BY " + table.keys,
                   "read back the copied table " + table.name);
  read.bind(1, school);
  RowDigest digest;
  TableCopied found{table.name, 0, ""};
  const int fields = static_cast<int>(table.columns.size());
  while (read.step()) {
    ++found.rows;
    for (int i = 0; i < fields; ++i) {
      if (read.isNull(i))
        digest.null();
      else if (table.columns[static_cast<std::size_t>(i)].kind == Kind::Bytes)
        digest.bytes(read.blob(i));
      else
        digest.integer(read.integer(i));
    }
  }
  found.sha256 = digest.hex();
  return found;
}

// The evaluation's checkpoints: a row each in SQLite, packed many a row in PostgreSQL
// (postgres_checkpoints.h). Counted and digested as the rows of SQLite's table.
constexpr const char* kCheckpoints = "evaluation_checkpoints";

Table checkpointsTable() {
  return Table{kCheckpoints, {{"upn", Kind::Bytes}, {"data", Kind::Bytes}}, "upn"};
}

TableCopied copyCheckpoints(SqliteDb& sqlite, PgConnection& pg, const std::string& school) {
  SqliteStatement read(sqlite.handle(),
                       "SELECT upn, data FROM evaluation_checkpoints ORDER BY upn");
  std::vector<std::pair<std::string, std::string>> rows;
  RowDigest digest;
  while (read.step()) {
    rows.emplace_back(read.text(0), std::string(read.blob(1)));
    digest.bytes(rows.back().first);
    digest.bytes(rows.back().second);
  }
  writeCheckpoints(pg, school, {rows.begin(), rows.end()});
  return TableCopied{kCheckpoints, static_cast<int64_t>(rows.size()), digest.hex()};
}

TableCopied readBackCheckpoints(PgConnection& pg, const std::string& school) {
  auto kept = readCheckpoints(pg, school);
  std::vector<std::pair<std::string_view, std::string_view>> ordered(kept.begin(), kept.end());
  std::sort(ordered.begin(), ordered.end());
  RowDigest digest;
  for (const auto& [upn, data] : ordered) {
    digest.bytes(upn);
    digest.bytes(data);
  }
  return TableCopied{kCheckpoints, static_cast<int64_t>(ordered.size()), digest.hex()};
}

// Serial columns (outbox.seq, amendments.id...) go on after the highest value copied, whatever
// school holds it, so the school's next row never takes a number it already has.
void advanceSequences(PgConnection& pg, const Table& table) {
  PgStatement serial(pg,
                     "SELECT column_name FROM information_schema.columns WHERE "
                     "table_schema=current_schema() AND table_name=$1 AND column_default LIKE "
                     "'nextval(%'",
                     "find the table's serial columns");
  serial.bind(1, table.name);
  std::vector<std::string> columns;
  while (serial.step()) columns.push_back(serial.text(0));
  for (const auto& column : columns)
    pg.exec("SELECT setval(pg_get_serial_sequence('" + table.name + "', '" + column +
                "'), GREATEST(nextval(pg_get_serial_sequence('" + table.name + "', '" + column +
                "')), (SELECT COALESCE(MAX(" + column + "), 0) + 1 FROM " + table.name +
                ")), false)",
            "move the sequence of " + table.name + "." + column + " past the rows copied");
}

}  // namespace

std::vector<TableCopied> copySqliteToPostgres(const std::string& sqlitePath,
                                              const std::string& postgresUri,
                                              const std::string& school,
                                              const std::string& password) {
  if (school.empty()) throw StoreError("store copy needs the school's URN");
  // The file checked and brought to this version's schema, as every command does; no sync of it
  // may run meanwhile.
  if (!std::filesystem::exists(sqlitePath)) throw StoreError("no SQLite store at " + sqlitePath);
  verifyStoreFile(sqlitePath);
  openSqliteStore(sqlitePath).reset();
  auto lease = fileSyncLeases(sqlitePath)->tryTake("store copy");
  if (!lease)
    throw StoreError("a sync of " + sqlitePath +
                     " is running: stop the service (systemctl stop markbridge) and copy again");
  openPostgresStore(postgresUri, school, password).reset();  // its tables made or migrated

  SqliteDb sqlite(sqlitePath);
  sqlite.exec("BEGIN");  // one read transaction: the file as it was at one moment
  PgConnection pg(postgresUri, password);
  PgTransaction transaction(pg);
  lockSchoolForWriting(pg, school);
  std::vector<Table> tables;
  for (const char* name : kTables)
    tables.push_back(name == std::string_view(kCheckpoints) ? checkpointsTable()
                                                            : describe(sqlite, pg, name));
  std::string present;
  for (const auto& table : tables) {
    PgStatement any(pg, "SELECT count(*) FROM " + table.name + " WHERE school=$1",
                    "look for the school's rows");
    any.bind(1, school);
    any.step();
    if (any.integer(0) > 0)
      present +=
          (present.empty() ? "" : ", ") + std::to_string(any.integer(0)) + " in " + table.name;
  }
  if (!present.empty())
    throw StoreCopyRefused("school " + school + " is already in " + pg.where() + " (" + present +
                           "): nothing was copied; a school is copied into a database that has "
                           "none of its rows, never over them");
  std::vector<TableCopied> copied;
  for (const auto& table : tables) {
    copied.push_back(table.name == kCheckpoints ? copyCheckpoints(sqlite, pg, school)
                                                : copyTable(sqlite, pg, table, school));
    advanceSequences(pg, table);
  }
  for (std::size_t i = 0; i < tables.size(); ++i) {
    auto back = tables[i].name == kCheckpoints ? readBackCheckpoints(pg, school)
                                               : readBack(pg, tables[i], school);
    if (back.rows != copied[i].rows || back.sha256 != copied[i].sha256)
      throw StoreError("the table " + tables[i].name + " read back from PostgreSQL differs from " +
                       sqlitePath + " (" + std::to_string(back.rows) + " rows, SHA-256 " +
                       back.sha256.substr(0, 12) +
                       "; the SQLite store: " + std::to_string(copied[i].rows) + " rows, " +
                       copied[i].sha256.substr(0, 12) + "): nothing was copied");
  }
  transaction.commit();
  sqlite.exec("COMMIT");
  return copied;
}

}  // namespace markbridge
