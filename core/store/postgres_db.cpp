#include "core/store/postgres_db.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>

#include "core/domain/logging.h"

namespace markbridge {
namespace {

// The type OIDs the binary reads know (pg_type.h).
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23;

std::string trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Notices ("relation already exists, skipping") go to the store's log at debug, not stderr.
void logNotice(void*, const char* message) {
  namedLogger("store")->debug("PostgreSQL: {}", trimmed(message));
}

}  // namespace

std::string describePostgresUri(const std::string& uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  if (!options) {
    PQfreemem(error);  // its text may quote the URI, password and all
    return "PostgreSQL (a connection URI that libpq cannot read: postgresql://user@host:port/"
           "database)";
  }
  std::string host, port, db, user;
  for (auto* o = options; o->keyword; ++o) {
    if (!o->val) continue;
    std::string_view key = o->keyword;
    if (key == "host" || (key == "hostaddr" && host.empty())) host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") db = o->val;
    if (key == "user") user = o->val;
  }
  PQconninfoFree(options);
  std::string where = "PostgreSQL at " + (host.empty() ? std::string("localhost") : host);
  if (!port.empty()) where += ":" + port;
  if (!db.empty()) where += ", database " + db;
  if (!user.empty()) where += ", user " + user;
  return where;
}

bool postgresUriHoldsPassword(const std::string& uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  PQfreemem(error);
  if (!options) return false;
  bool holds = false;
  for (auto* o = options; o->keyword; ++o)
    if (o->val && *o->val && std::string_view(o->keyword) == "password") holds = true;
  PQconninfoFree(options);
  return holds;
}

PgConnection::PgConnection(const std::string& uri, const std::string& password)
    : where_(describePostgresUri(uri)) {
  // Defaults first: what the URI says wins (expand_dbname: its settings override earlier ones);
  // a password given apart comes after it, so it wins over the URI's.
  // Keepalives both ways: this side notices a server gone (a machine, a network) in about 25 s,
  // and the server a worker gone (startSession), so the worker's sync lease and outbox claims
  // are freed for another (core/store/sync_lease.h).
  const char* keywords[] = {"connect_timeout",
                            "application_name",
                            "client_encoding",
                            "keepalives_idle",
                            "keepalives_interval",
                            "keepalives_count",
                            "dbname",
                            password.empty() ? nullptr : "password",
                            nullptr};
  const char* values[] = {"10", "markbridge", "UTF8",           "10",   "5",
                          "3",  uri.c_str(),  password.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (!conn_) throw PostgresError("cannot connect to " + where_ + ": out of memory", "");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = trimmed(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw PostgresError("cannot connect to " + where_ + ": " + message, "08001");
  }
  PQsetNoticeProcessor(conn_, logNotice, nullptr);
  startSession();
}

void PgConnection::startSession() {
  std::unique_ptr<PGresult, decltype(&PQclear)> set(
      PQexec(conn_,
             "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
             "SET tcp_keepalives_count = 3"),
      PQclear);
  if (!set || PQresultStatus(set.get()) != PGRES_COMMAND_OK)
    fail("set the connection's keepalive", set.get());
  if (name_.empty()) return;
  std::unique_ptr<PGresult, decltype(&PQclear)> named(
      PQexecParams(conn_, "SELECT set_config('application_name', $1, false)", 1, nullptr,
                   std::array<const char*, 1>{name_.c_str()}.data(), nullptr, nullptr, 0),
      PQclear);
  if (!named || PQresultStatus(named.get()) != PGRES_TUPLES_OK)
    fail("name the connection", named.get());
}

void PgConnection::name(const std::string& applicationName) {
  name_ = applicationName;
  startSession();
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

void PgConnection::fail(std::string_view purpose, const pg_result* result) const {
  std::string message = trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (message.empty()) message = trimmed(PQerrorMessage(conn_));
  const char* code = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = code ? code : "";
  if (PQstatus(conn_) == CONNECTION_BAD && sqlstate.empty()) sqlstate = "08006";
  throw PostgresError(where_ + ": could not " + std::string(purpose) + ": " + message +
                          (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"),
                      sqlstate);
}

void PgConnection::settle() {
  if (!copyPending_) return;
  copyPending_ = false;
  std::unique_ptr<PGresult, decltype(&PQclear)> done(PQgetResult(conn_), PQclear);
  for (PGresult* more = PQgetResult(conn_); more; more = PQgetResult(conn_)) PQclear(more);
  if (!done || PQresultStatus(done.get()) != PGRES_COMMAND_OK) fail(copyPurpose_, done.get());
}

void PgConnection::reconnectIfDropped() {
  settle();
  if (PQstatus(conn_) != CONNECTION_BAD || transactions_ > 0) return;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK)
    throw PostgresError("cannot connect to " + where_ + " again: " + trimmed(PQerrorMessage(conn_)),
                        "08001");
  ++session_;
  startSession();
  namedLogger("store")->warn("{}: the connection was lost and is made again", where_);
}

bool PgConnection::seenClosed() {
  if (PQstatus(conn_) == CONNECTION_BAD) return true;
  // Twice: the server's last message (FATAL: terminating connection) may be read first, and the
  // end of the stream only by the next read.
  for (int read = 0; read < 2; ++read)
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) == CONNECTION_BAD) return true;
  return false;
}

void PgConnection::ready(Prepared& p, std::string_view purpose) {
  reconnectIfDropped();  // and settle()
  if (p.session == session_) return;
  std::unique_ptr<PGresult, decltype(&PQclear)> made(
      PQprepare(conn_, p.name.c_str(), p.sql->c_str(), 0, nullptr), PQclear);
  if (!made || PQresultStatus(made.get()) != PGRES_COMMAND_OK) fail(purpose, made.get());
  p.session = session_;
}

void PgConnection::exec(std::string_view sql, std::string_view purpose) {
  reconnectIfDropped();
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn_, std::string(sql).c_str()),
                                                       PQclear);
  auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(purpose, result.get());
}

void PgConnection::sendCopy(const std::string& sql, std::string_view rows,
                            std::string_view purpose) {
  reconnectIfDropped();
  std::unique_ptr<PGresult, decltype(&PQclear)> start(PQexec(conn_, sql.c_str()), PQclear);
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) fail(purpose, start.get());
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  bool sent = true;
  for (std::size_t at = 0; sent && at < rows.size(); at += kChunk)
    sent = PQputCopyData(conn_, rows.data() + at,
                         static_cast<int>(std::min(kChunk, rows.size() - at))) == 1;
  if (PQputCopyEnd(conn_, sent ? nullptr : "the client could not send the rows") != 1)
    fail(purpose, nullptr);
}

void PgConnection::copyInAsync(const std::string& sql, std::string_view rows,
                               std::string_view purpose) {
  sendCopy(sql, rows, purpose);
  copyPending_ = true;
  copyPurpose_ = purpose;
}

int64_t PgConnection::copyIn(const std::string& sql, std::string_view rows,
                             std::string_view purpose) {
  sendCopy(sql, rows, purpose);
  using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;
  Result done(PQgetResult(conn_), PQclear);
  // The COPY's own result; then libpq's end of the command (nothing more is expected).
  for (PGresult* more = PQgetResult(conn_); more; more = PQgetResult(conn_)) PQclear(more);
  if (!done || PQresultStatus(done.get()) != PGRES_COMMAND_OK) fail(purpose, done.get());
  return std::strtoll(PQcmdTuples(done.get()), nullptr, 10);
}

void upsertArrays(PgConnection& db, const std::string& table, PgArrayRows& rows,
                  const std::string& conflict, std::string_view purpose) {
  PgStatement upsert(
      db,
      "INSERT INTO " + table + " SELECT * FROM " + rows.unnestOf(1) + " ON CONFLICT " + conflict,
      purpose);
  for (std::size_t i = 0; i < rows.columns(); ++i)
    upsert.bindView(static_cast<int>(i + 1), rows.column(i));
  upsert.run();
}

std::string pgTextArray(const std::vector<std::string_view>& values) {
  std::string text = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) text += ',';
    text += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += '"';
  }
  text += '}';
  return text;
}

PgCopyRows::PgCopyRows() {
  // The signature, no flags, no header extension.
  data_.assign("PGCOPY\n\xff\r\n\0", 11);
  data_.append(8, '\0');
}

namespace {
void appendBigEndian(std::string& out, uint32_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

// One value in PostgreSQL's binary form with its 4-byte length before it: a field of a binary
// COPY row and an element of a binary array are written alike.
void appendInteger(std::string& out, int32_t value) {
  appendBigEndian(out, 4, 4);
  appendBigEndian(out, static_cast<uint32_t>(value), 4);
}
void appendBigint(std::string& out, int64_t value) {
  appendBigEndian(out, 8, 4);
  appendBigEndian(out, static_cast<uint32_t>(static_cast<uint64_t>(value) >> 32), 4);
  appendBigEndian(out, static_cast<uint32_t>(static_cast<uint64_t>(value) & 0xFFFFFFFFu), 4);
}
void appendNull(std::string& out) {
  appendBigEndian(out, 0xFFFFFFFFu, 4);  // -1: NULL
}
void appendBytes(std::string& out, std::string_view value) {
  appendBigEndian(out, static_cast<uint32_t>(value.size()), 4);
  out.append(value);
}
char* appendField(std::string& out, std::size_t size) {
  appendBigEndian(out, static_cast<uint32_t>(size), 4);
  auto at = out.size();
  out.resize(at + size);
  return out.data() + at;
}
}  // namespace

void PgCopyRows::row(int fields) {
  appendBigEndian(data_, static_cast<uint32_t>(fields), 2);
  ++rows_;
}

void PgCopyRows::integer(int32_t value) {
  appendInteger(data_, value);
}

void PgCopyRows::bigint(int64_t value) {
  appendBigint(data_, value);
}

void PgCopyRows::null() {
  appendNull(data_);
}

void PgCopyRows::bytes(std::string_view value) {
  appendBytes(data_, value);
}

char* PgCopyRows::field(std::size_t size) {
  return appendField(data_, size);
}

std::string_view PgCopyRows::finish() {
  appendBigEndian(data_, 0xFFFF, 2);  // -1: no more rows
  return data_;
}

PgArrayRows::PgArrayRows(const std::vector<Type>& columns) {
  if (columns.empty()) throw StoreError("rows as arrays need at least one column");
  columns_.reserve(columns.size());
  for (auto type : columns) {
    Column c{type, {}, false};
    // One dimension, the "has nulls" flag, the element type, then the dimension's length
    // (written by column()) and its lower bound, 1.
    appendBigEndian(c.data, 1, 4);
    appendBigEndian(c.data, 0, 4);
    appendBigEndian(c.data, static_cast<uint32_t>(type), 4);
    appendBigEndian(c.data, 0, 4);
    appendBigEndian(c.data, 1, 4);
    columns_.push_back(std::move(c));
  }
}

void PgArrayRows::row(int fields) {
  if (field_ != 0 || static_cast<std::size_t>(fields) != columns_.size())
    throw StoreError("a row of " + std::to_string(fields) + " fields given for " +
                     std::to_string(columns_.size()) + " columns, or after a row left short");
  ++rows_;
}

PgArrayRows::Column& PgArrayRows::next() {
  auto& c = columns_.at(field_);
  field_ = (field_ + 1) % columns_.size();
  return c;
}

void PgArrayRows::integer(int32_t value) {
  appendInteger(next().data, value);
}

void PgArrayRows::bigint(int64_t value) {
  appendBigint(next().data, value);
}

void PgArrayRows::null() {
  auto& c = next();
  appendNull(c.data);
  c.nulls = true;
}

void PgArrayRows::bytes(std::string_view value) {
  appendBytes(next().data, value);
}

char* PgArrayRows::field(std::size_t size) {
  return appendField(next().data, size);
}

std::string_view PgArrayRows::column(std::size_t i) {
  if (field_ != 0)
    throw StoreError("the last row given as arrays was left short of its " +
                     std::to_string(columns_.size()) + " fields");
  auto& c = columns_.at(i);
  std::string length;
  appendBigEndian(length, c.nulls ? 1 : 0, 4);
  appendBigEndian(length, static_cast<uint32_t>(rows_), 4);
  c.data.replace(4, 4, length, 0, 4);
  c.data.replace(12, 4, length, 4, 4);
  return c.data;
}

std::string PgArrayRows::unnestOf(int first) const {
  std::string sql = "unnest(";
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (i) sql += ", ";
    sql += "$" + std::to_string(first + static_cast<int>(i)) + "::";
    switch (columns_[i].type) {
      case Type::Bytea:
        sql += "bytea[]";
        break;
      case Type::Bigint:
        sql += "bigint[]";
        break;
      case Type::Integer:
        sql += "integer[]";
        break;
      case Type::Text:
        sql += "text[]";
        break;
    }
  }
  return sql + ")";
}

PgConnection::Prepared& PgConnection::prepare(const std::string& sql, std::string_view purpose) {
  if (auto found = prepared_.find(sql); found != prepared_.end()) return found->second;
  reconnectIfDropped();
  Prepared p;
  p.session = session_;
  p.name = "mb" + std::to_string(prepared_.size() + 1);
  std::unique_ptr<PGresult, decltype(&PQclear)> made(
      PQprepare(conn_, p.name.c_str(), sql.c_str(), 0, nullptr), PQclear);
  if (!made || PQresultStatus(made.get()) != PGRES_COMMAND_OK) fail(purpose, made.get());
  std::unique_ptr<PGresult, decltype(&PQclear)> described(PQdescribePrepared(conn_, p.name.c_str()),
                                                          PQclear);
  if (!described || PQresultStatus(described.get()) != PGRES_COMMAND_OK)
    fail(purpose, described.get());
  p.params = PQnparams(described.get());
  auto& entry = *prepared_.emplace(sql, std::move(p)).first;
  entry.second.sql = &entry.first;
  return entry.second;
}

void PgStatement::ready() {
  db_.ready(*prepared_, purpose_);
}

PgStatement::PgStatement(PgConnection& db, const std::string& sql, std::string_view purpose)
    : db_(db), prepared_(&db.prepare(sql, purpose)), purpose_(purpose) {
  auto n = static_cast<std::size_t>(prepared_->params);
  values_.assign(n, nullptr);
  lengths_.assign(n, 0);
  formats_.assign(n, 0);
  copies_.resize(n);
  numbers_.resize(n);
}

PgStatement::~PgStatement() {
  PQclear(result_);
}

void PgStatement::checkIndex(int index) const {
  if (index < 1 || index > prepared_->params)
    throw PostgresError(db_.where() + ": could not " + purpose_ + ": parameter $" +
                            std::to_string(index) + " is not in the statement",
                        "");
}

PgStatement& PgStatement::bind(int index, int64_t value) {
  checkIndex(index);
  auto i = static_cast<std::size_t>(index - 1);
  auto& digits = numbers_[i];
  auto end = std::to_chars(digits.data(), digits.data() + digits.size() - 1, value).ptr;
  *end = '\0';
  values_[i] = digits.data();  // text format: the server reads it as whatever integer type fits
  formats_[i] = 0;
  return *this;
}

PgStatement& PgStatement::bind(int index, std::string_view value) {
  checkIndex(index);
  auto i = static_cast<std::size_t>(index - 1);
  copies_[i].assign(value.data(), value.size());
  return bindView(index, copies_[i]);
}

PgStatement& PgStatement::bindView(int index, std::string_view value) {
  checkIndex(index);
  auto i = static_cast<std::size_t>(index - 1);
  values_[i] = value.data() ? value.data() : "";
  lengths_[i] = static_cast<int>(value.size());
  formats_[i] = 1;  // binary: a text value's binary form is its bytes
  return *this;
}

PgStatement& PgStatement::bindTextForm(int index, std::string_view value) {
  checkIndex(index);
  auto i = static_cast<std::size_t>(index - 1);
  copies_[i].assign(value.data(), value.size());
  values_[i] = copies_[i].c_str();
  formats_[i] = 0;
  return *this;
}

PgStatement& PgStatement::bindBlob(int index, std::string_view bytes) {
  return bindView(index, bytes);
}

PgStatement& PgStatement::bindNull(int index) {
  checkIndex(index);
  values_[static_cast<std::size_t>(index - 1)] = nullptr;
  return *this;
}

void PgStatement::execute() {
  PQclear(result_);
  result_ = nullptr;
  db_.ready(*prepared_, purpose_);
  result_ = PQexecPrepared(db_.handle(), prepared_->name.c_str(), prepared_->params, values_.data(),
                           lengths_.data(), formats_.data(), 1);
  auto status = result_ ? PQresultStatus(result_) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::unique_ptr<PGresult, decltype(&PQclear)> failed(result_, PQclear);
    result_ = nullptr;
    db_.fail(purpose_, failed.get());
  }
  rows_ = PQntuples(result_);
  row_ = -1;
}

bool PgStatement::step() {
  if (!result_) execute();
  if (row_ + 1 >= rows_) {
    row_ = rows_;
    return false;
  }
  ++row_;
  return true;
}

int64_t PgStatement::run() {
  execute();
  int64_t count = affected();
  reset();
  return count;
}

int64_t PgStatement::affected() const {
  const char* count = result_ ? PQcmdTuples(result_) : nullptr;
  int64_t n = 0;
  if (count && *count) std::from_chars(count, count + std::strlen(count), n);
  return n;
}

void PgStatement::reset() {
  PQclear(result_);
  result_ = nullptr;
  rows_ = 0;
  row_ = -1;
  for (auto& v : values_) v = nullptr;
}

void PgStatement::send() {
  take(nullptr);
  db_.ready(*prepared_, purpose_);
  if (PQsendQueryPrepared(db_.handle(), prepared_->name.c_str(), prepared_->params, values_.data(),
                          lengths_.data(), formats_.data(), 1) != 1)
    db_.fail(purpose_, nullptr);
  for (auto& v : values_) v = nullptr;
}

void PgStatement::take(pg_result* result) {
  PQclear(result_);
  result_ = result;
  rows_ = result ? PQntuples(result) : 0;
  row_ = -1;
}

void PgStatement::readRow(int row) {
  if (!result_ || row < 0 || row >= rows_)
    throw PostgresError(db_.where() + ": could not " + purpose_ + ": row " + std::to_string(row) +
                            " of " + std::to_string(rows_) + " asked for",
                        "");
  row_ = row;
}

int64_t PgStatement::integer(int column) const {
  if (PQgetisnull(result_, row_, column)) return 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row_, column));
  int length = PQgetlength(result_, row_, column);
  Oid type = PQftype(result_, column);
  if ((type == kInt8 && length == 8) || (type == kInt4 && length == 4) ||
      (type == kInt2 && length == 2) || (type == kBool && length == 1)) {
    uint64_t value = 0;
    for (int b = 0; b < length; ++b) value = value << 8 | bytes[b];
    if (length < 8 && (bytes[0] & 0x80)) value |= ~uint64_t{0} << (8 * length);  // negative
    return static_cast<int64_t>(value);
  }
  throw PostgresError(db_.where() + ": could not " + purpose_ + ": column " +
                          std::to_string(column) + " is of type " + std::to_string(type) +
                          ", not an integer",
                      "");
}

std::string_view PgStatement::textView(int column) const {
  if (PQgetisnull(result_, row_, column)) return {};
  return std::string_view(PQgetvalue(result_, row_, column),
                          static_cast<std::size_t>(PQgetlength(result_, row_, column)));
}

bool PgStatement::isNull(int column) const {
  return PQgetisnull(result_, row_, column) != 0;
}

PgPipeline::PgPipeline(PgConnection& db, Reader read) : db_(db), read_(std::move(read)) {}

PgPipeline::~PgPipeline() {
  try {
    finish(false);
  } catch (const std::exception&) {
    // The connection is gone, or the answers could not be read: nothing more to do here.
  }
}

void PgPipeline::queue(PgStatement& statement, std::size_t tag) {
  if (!active_) {
    // Prepared (again, on a connection made again) before: PQprepare waits for its answer,
    // which pipeline mode does not allow.
    db_.ready(*statement.prepared_, statement.purpose_);
    if (PQenterPipelineMode(db_.handle()) != 1) db_.fail("enter pipeline mode", nullptr);
    active_ = true;
  }
  try {
    statement.send();
  } catch (...) {
    finish(false);
    throw;
  }
  queued_.push_back(Queued{&statement, tag});
  if (queued_.size() >= kMaxQueued) sync();
}

void PgPipeline::sync() {
  finish(true);
}

void PgPipeline::finish(bool rethrow) {
  if (!active_) return;
  pg_conn* conn = db_.handle();
  using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;
  Result failed(nullptr, PQclear);
  std::string failedPurpose = "send statements in pipeline mode";
  std::exception_ptr readFailed;
  bool broken = PQpipelineSync(conn) != 1;
  // Each statement's answer is its result and then a null; the sync's comes last. Two nulls in
  // a row only come from a connection that broke.
  std::size_t next = 0;
  bool lastWasNull = false;
  while (!broken) {
    Result result(PQgetResult(conn), PQclear);
    if (!result) {
      broken = lastWasNull || PQstatus(conn) == CONNECTION_BAD;
      lastWasNull = true;
      continue;
    }
    lastWasNull = false;
    auto status = PQresultStatus(result.get());
    if (status == PGRES_PIPELINE_SYNC) break;
    if (next >= queued_.size()) continue;  // nothing else was sent
    auto& queued = queued_[next++];
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      if (!read_ || failed || readFailed) continue;
      queued.statement->take(result.release());
      try {
        read_(*queued.statement, queued.tag);
      } catch (...) {
        readFailed = std::current_exception();
      }
      queued.statement->take(nullptr);
    } else if (status != PGRES_PIPELINE_ABORTED && !failed) {
      failedPurpose = queued.statement->purpose_;
      failed = std::move(result);
    }
  }
  queued_.clear();
  active_ = false;
  PQexitPipelineMode(conn);  // refused only on a broken connection, which is made again
  if (!rethrow) return;
  if (failed || broken) db_.fail(failedPurpose, failed.get());
  if (readFailed) std::rethrow_exception(readFailed);
}

void PgTransaction::refuseIfOpen() {
  // PostgreSQL only warns at a BEGIN inside a transaction and goes on, which would make two
  // writers one; SQLite refuses it, and so does this.
  db_.reconnectIfDropped();
  if (PQtransactionStatus(db_.handle()) != PQTRANS_IDLE)
    throw PostgresError(db_.where() +
                            ": could not begin a transaction: one is already open on "
                            "this connection (a second writer on the same store)",
                        "25001");
}

// Read committed whatever the server's, the database's or the role's default: a writer takes
// the school's lock (lockSchoolForWriting) as its first statement, and under repeatable read or
// serializable that statement would take the transaction's snapshot before waiting for the
// writer ahead of it, whose work it would then not see (new weeks written twice, amendments
// lost, claims refused as serialization failures). A reader asks for its own isolation next
// (SET TRANSACTION, before any statement).
constexpr const char* kBegin = "BEGIN ISOLATION LEVEL READ COMMITTED";

PgTransaction::PgTransaction(PgConnection& db) : db_(db) {
  refuseIfOpen();
  db_.exec(kBegin, "begin a transaction");
  ++db_.transactions_;
}

PgTransaction::PgTransaction(PgConnection& db, PgPipeline& pipeline)
    : db_(db), pipeline_(&pipeline) {
  refuseIfOpen();
  commit_ = std::make_unique<PgStatement>(db_, "COMMIT", "commit a transaction");
  commit_->ready();
  begin_ = std::make_unique<PgStatement>(db_, kBegin, "begin a transaction");
  pipeline.queue(*begin_);
  ++db_.transactions_;
}

PgTransaction::~PgTransaction() {
  if (!done_ && pipeline_) {
    // What was queued runs (inside the transaction) before the ROLLBACK below can be sent.
    try {
      pipeline_->sync();
    } catch (const std::exception&) {
      // A statement failed, or the connection is gone: rolled back below, or by the server.
    }
  }
  if (!done_) {
    // Twice: the first may only collect the error of a COPY still being written (settle()).
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        db_.exec("ROLLBACK", "roll back a transaction");
        break;
      } catch (const StoreError&) {
        // The connection is gone: the server rolled the transaction back itself.
      }
    }
  }
  --db_.transactions_;  // after the rollback: a dropped connection is not made again under it
}

void PgTransaction::commit() {
  // A transaction one of whose statements failed (the error caught and gone on from) is only
  // rolled back by a COMMIT, which answers "ROLLBACK" and no error: said here, never taken for a
  // commit. An asynchronous COPY's answer is had first: its error is the transaction's.
  db_.settle();
  if (PQtransactionStatus(db_.handle()) == PQTRANS_INERROR)
    throw PostgresError(db_.where() +
                            ": could not commit a transaction: a statement in it failed earlier, "
                            "so nothing of it is kept",
                        "25P02");
  if (pipeline_) {
    pipeline_->queue(*commit_);
    pipeline_->sync();  // throws what the server refused first: then nothing of it was kept
  } else {
    db_.exec("COMMIT", "commit a transaction");
  }
  done_ = true;
}

}  // namespace markbridge
