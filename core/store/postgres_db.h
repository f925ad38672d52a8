#pragma once
// A thin RAII layer over libpq (PostgreSQL's own C client), the PostgreSQL store's counterpart of
// sqlite_db.h: a connection that prepares each statement once for its life, statements with
// typed binds read through step() like SQLite's, and a transaction guard that rolls back unless
// committed. Why libpq and not Poco::Data::PostgreSQL: docs/architecture.md ("Decisions").
//
// Every error is a PostgresError naming the server (host, port, database; never the password),
// what the statement was for, PostgreSQL's message and its SQLSTATE code.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ranges>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/store/store_error.h"

struct pg_conn;
struct pg_result;

namespace markbridge {

class PostgresError : public StoreError {
 public:
  PostgresError(const std::string& message, std::string sqlstate)
      : StoreError(message), sqlstate_(std::move(sqlstate)) {}
  // PostgreSQL's exact error code ("23505": a unique key taken; "40P01": a deadlock; "08006":
  // the connection went), or empty when the server gave none (the connection failed first).
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// Where a PostgreSQL URI points, for messages: "PostgreSQL at 127.0.0.1:5432, database
// markbridge, user gateway". The password (in the URI or not) is never part of it.
std::string describePostgresUri(const std::string& uri);
// Whether `uri` carries a password (a configuration file must not: it is read by many).
bool postgresUriHoldsPassword(const std::string& uri);

class PgConnection {
 public:
  // `uri`: postgresql://user@host:port/database?sslmode=require... (libpq's connection URI or
  // key=value string). The password comes from the URI, PGPASSWORD or a password file libpq
  // reads (~/.pgpass, PGPASSFILE: libpq ignores one others can read).
  // `password`, when given, is used instead of any other (never part of a message).
  explicit PgConnection(const std::string& uri, const std::string& password = "");
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  // One more each time the connection was made again (what a session lock held on it needs).
  uint64_t session() const { return session_; }
  // Whether the server has ended this session (a restart, its backend terminated), seen from
  // what it already sent, without a round trip: the input waiting on the socket is read (a
  // system call that does not block) and libpq marks the connection bad at the server's goodbye
  // or at the end of the stream. A dropped network says nothing until the keepalive gives up.
  bool seenClosed();

  // Runs `sql` (one or more statements, no parameters); `purpose` says what for, in messages.
  void exec(std::string_view sql, std::string_view purpose);
  // COPY ... FROM STDIN (FORMAT binary) sending `rows` (PgCopyRows): the fast way in for many
  // rows at once. The rows the server wrote.
  int64_t copyIn(const std::string& sql, std::string_view rows, std::string_view purpose);
  // The same, not waiting for the server to have written them: the rows are sent (`rows` can go
  // once this returns) and the server writes them while the caller goes on; the next use of the
  // connection (any statement, exec, COPY, a transaction's COMMIT or ROLLBACK) first waits for
  // it and throws its error, if it had one, naming `purpose`.
  void copyInAsync(const std::string& sql, std::string_view rows, std::string_view purpose);
  // The name PostgreSQL's own views (pg_stat_activity) show for the connection, kept when it is
  // made again.
  void name(const std::string& applicationName);
  // "PostgreSQL at host:port, database db, user u".
  const std::string& where() const { return where_; }
  pg_conn* handle() const { return conn_; }

  struct Prepared {
    std::string name;
    int params = 0;
    const std::string* sql = nullptr;
    uint64_t session = 0;  // the connection it was prepared on (see ready())
  };
  // The statement prepared on this connection for `sql` (prepared on first use, then kept).
  Prepared& prepare(const std::string& sql, std::string_view purpose);
  // Before each statement: a connection the server dropped (a restart, a failover, an idle
  // timeout) is made again, and `p` prepared again on it, unless a transaction was open on it
  // (that transaction is lost: the statement fails, and its writer's transaction with it).
  void ready(Prepared& p, std::string_view purpose);
  [[noreturn]] void fail(std::string_view purpose, const pg_result* result) const;

 private:
  friend class PgTransaction;
  void reconnectIfDropped();
  // What every session of the connection is set up with (the server's keepalive).
  void startSession();
  void sendCopy(const std::string& sql, std::string_view rows, std::string_view purpose);
  // Waits for the answer to an asynchronous COPY, if one is awaited (see copyInAsync).
  void settle();

  pg_conn* conn_ = nullptr;
  std::string where_;
  std::string name_;      // application_name, or "" for libpq's
  uint64_t session_ = 1;  // one more each time the connection is made again
  int transactions_ = 0;  // open on this connection (PgTransaction)
  std::unordered_map<std::string, Prepared> prepared_;
  bool copyPending_ = false;
  std::string copyPurpose_;
};

class PgStatement {
 public:
  // Parameters are $1, $2...; `purpose` ("read the pupil's on-roll periods") names it in errors.
  PgStatement(PgConnection& db, const std::string& sql, std::string_view purpose);
  ~PgStatement();
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

  PgStatement& bind(int index, int64_t value);
  // Text, copied (sent as the parameter's binary form: its bytes, no escaping, any length).
  PgStatement& bind(int index, std::string_view value);
  // Not copied: `value` must stay alive and unchanged until the statement has run.
  PgStatement& bindView(int index, std::string_view value);
  // A bytea, not copied (like bindView).
  PgStatement& bindBlob(int index, std::string_view bytes);
  PgStatement& bindNull(int index);
  // A value in the parameter type's text form, copied (an array: pgTextArray).
  PgStatement& bindTextForm(int index, std::string_view value);
  // Runs the statement on the first call; true while there is a row to read, false when done.
  bool step();
  // Runs to completion and resets for the next use; the rows it inserted, changed or deleted.
  int64_t run();
  // The rows the statement last run inserted, changed or deleted (in a PgPipeline's reader: the
  // statement whose answer it is reading).
  int64_t affected() const;
  void reset();
  // Reads the rows it ran to again from the first (the result kept, nothing run again).
  void rewind() { row_ = -1; }
  // Prepared on the connection (again, if it was made again) now: a PgPipeline prepares the
  // first statement queued on it, and any other must be prepared before that.
  void ready();
  // After the first step(): the rows of the result, and the row the columns are read from (any
  // of them, in any order: the result is kept whole).
  int rows() const { return rows_; }
  void readRow(int row);

  // Columns of the current row, read in binary: integers (smallint, integer, bigint, boolean),
  // text as its bytes, bytea as its bytes. Views stay valid until the next reset().
  int64_t integer(int column) const;
  std::string text(int column) const { return std::string(textView(column)); }
  std::string_view textView(int column) const;
  std::string_view blob(int column) const { return textView(column); }
  bool isNull(int column) const;

 private:
  friend class PgPipeline;
  void execute();
  // Pipeline mode (PgPipeline): sends the statement with its binds, which are then cleared;
  // later its result is taken in and read like one step() ran.
  void send();
  void take(pg_result* result);
  void checkIndex(int index) const;

  PgConnection& db_;
  PgConnection::Prepared* prepared_;
  std::string purpose_;
  std::vector<const char*> values_;
  std::vector<int> lengths_, formats_;
  std::vector<std::string> copies_;
  std::vector<std::array<char, 24>> numbers_;
  pg_result* result_ = nullptr;
  int rows_ = 0, row_ = -1;
};

// Rows in PostgreSQL's binary COPY format, for PgConnection::copyIn: per row, row(fields) and
// then each field in the table's column order (an integer column takes integer(), text and bytea
// take bytes(): their bytes as they are, no escaping).
class PgCopyRows {
 public:
  PgCopyRows();
  void row(int fields);
  void integer(int32_t value);
  void bigint(int64_t value);
  void null();
  void bytes(std::string_view value);
  // A field of `size` bytes the caller writes in place (no copy through a string of its own);
  // the pointer is valid until the next call.
  char* field(std::size_t size);
  std::size_t rows() const { return rows_; }
  // The whole copy data, its end marker added (call once).
  std::string_view finish();

 private:
  std::string data_;
  std::size_t rows_ = 0;
};

// Rows given to one statement as an array per column, in PostgreSQL's binary array form: per
// row, row(fields) and then each field in the columns' order, as PgCopyRows takes them. The
// statement reads them back as rows with `unnest(...)` (unnestOf). A NULL field is an array
// element that is NULL.
class PgArrayRows {
 public:
  // A column's type: its element type's OID, which the array's binary form names and the
  // server checks against the parameter's (`$2::text[]`: text).
  enum class Type : uint32_t { Bytea = 17, Bigint = 20, Integer = 23, Text = 25 };
  explicit PgArrayRows(const std::vector<Type>& columns);
  void row(int fields);
  void integer(int32_t value);
  void bigint(int64_t value);
  void null();
  void bytes(std::string_view value);
  // A field of `size` bytes the caller writes in place; the pointer is valid until the next call.
  char* field(std::size_t size);
  std::size_t rows() const { return rows_; }
  std::size_t columns() const { return columns_.size(); }
  // Column `i`'s array, its element count written in (valid until the next row is added).
  std::string_view column(std::size_t i);
  // "unnest($first::text[], $first+1::integer[], ...)": the rows, column by column.
  std::string unnestOf(int first) const;

 private:
  struct Column {
    Type type;
    std::string data;  // the array's binary form
    bool nulls = false;
  };
  Column& next();
  std::vector<Column> columns_;
  std::size_t rows_ = 0;
  std::size_t field_ = 0;  // the next field's column within the row
};

// Rows in `table`'s column order written with one INSERT ... SELECT FROM unnest(...) ... ON
// CONFLICT `conflict` (its plan reads the arrays and looks each row up by the key: no join for
// the planner to get wrong). The fast way to write many rows of which some may exist already:
// one round trip, no temporary table to fill and empty.
void upsertArrays(PgConnection& db, const std::string& table, PgArrayRows& rows,
                  const std::string& conflict, std::string_view purpose);

// A text[] parameter's text form, each element quoted and escaped. Many keys read in one
// statement: `unnest($n::text[]) AS u(key) CROSS JOIN LATERAL (SELECT ... WHERE school=$1 AND
// key=u.key OFFSET 0)`, a lookup by the key for each (a plain `key = ANY($n)` may be planned, and
// its plan kept, as a scan of the school when statistics say it is small).
std::string pgTextArray(const std::vector<std::string_view>& values);
// An integer[] or bigint[] parameter's text form, from any range of integers (a vector, a set).
template <std::ranges::input_range Integers>
std::string pgIntegerArray(const Integers& values) {
  std::string text = "{";
  for (auto value : values) {
    if (text.size() > 1) text += ',';
    text += std::to_string(value);
  }
  text += '}';
  return text;
}

// libpq's pipeline mode: statements queued one after another without waiting for each answer,
// then one round trip for all of them (a part's pupils read by key, 200 statements, cost one
// wait on the server instead of 200). Each statement is planned and run by the server as if it
// had been sent alone, so each keeps its own plan (a point lookup by key stays one).
//
// queue() sends a statement with its current binds; sync() waits for every answer, handing each
// queued statement's result to `read` in order (the statement is then read like after step():
// step() moves to its next row, reset() is not needed). An error in any statement aborts the
// rest (and the transaction around them, as any error in a transaction does): sync() reads
// through to the end and throws the first. At most kMaxQueued wait at once: more sync by
// themselves, so the answers held in memory stay bounded.
class PgPipeline {
 public:
  using Reader = std::function<void(PgStatement& statement, std::size_t tag)>;
  static constexpr std::size_t kMaxQueued = 1024;
  explicit PgPipeline(PgConnection& db, Reader read = {});
  ~PgPipeline();  // leaves pipeline mode (what is still queued is read and dropped)
  PgPipeline(const PgPipeline&) = delete;
  PgPipeline& operator=(const PgPipeline&) = delete;

  // `tag` is handed back to the reader with the statement's result.
  void queue(PgStatement& statement, std::size_t tag = 0);
  void sync();

 private:
  void finish(bool rethrow);

  PgConnection& db_;
  Reader read_;
  struct Queued {
    PgStatement* statement;
    std::size_t tag;
  };
  std::vector<Queued> queued_;
  bool active_ = false;
};

// BEGIN, and ROLLBACK unless commit() was called: nothing of a transaction that did not finish
// stays in the database.
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& db);
  // BEGIN queued on `pipeline` (nothing waited for), before anything else is; commit() queues
  // COMMIT and syncs: one round trip for the transaction and the statements queued in it, where
  // BEGIN and COMMIT would each take one of their own.
  PgTransaction(PgConnection& db, PgPipeline& pipeline);
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  void commit();

 private:
  void refuseIfOpen();

  PgConnection& db_;
  PgPipeline* pipeline_ = nullptr;
  std::unique_ptr<PgStatement> commit_, begin_;  // pipelined
  bool done_ = false;
};

}  // namespace markbridge
