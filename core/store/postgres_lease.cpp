// A school's sync lease in PostgreSQL (core/store/sync_lease.h): a session advisory lock, two
// keys (kLeaseSpace, a hash of the tables' schema and the URN: advisory locks are the whole
// database's, and a trust's tables may be a schema of it), held on a connection of the worker's
// own. The server frees
// it when that connection ends: at once when the worker's process dies, within
// kLeaseLostWithinSeconds when its machine does (every PgConnection's server-side keepalive). Each
// sync is a row of sync_runs, written on the same connection, so the database keeps who synced what
// and when.
#include <memory>

#include "core/store/postgres_db.h"
#include "core/store/sync_lease.h"

namespace markbridge {
namespace {

// The first key of every sync lease ("MB" and a 1): a space of its own among advisory locks.
constexpr int64_t kLeaseSpace = 0x4d4201;
// How long the sync log (sync_runs) keeps a school's runs.
constexpr int64_t kSyncLogDays = 30;
constexpr const char* kServerMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

class PgLease final : public SyncLease {
 public:
  PgLease(std::shared_ptr<PgConnection> db, std::string school, int64_t run)
      : owned_(std::move(db)),
        db_(*owned_),
        school_(std::move(school)),
        run_(run),
        session_(db_.session()) {}

  ~PgLease() override {
    try {
      if (!held()) return;
      PgStatement done(db_,
                       std::string("UPDATE sync_runs SET finished_at=") + kServerMs +
                           " WHERE school=$1 AND id=$2",
                       "record the end of the school's sync");
      done.bind(1, school_).bind(2, run_).run();
      PgStatement unlock(
          db_, "SELECT pg_advisory_unlock($1::int4, hashtext(current_schema() || ' ' || $2))",
          "release the school's sync lease");
      unlock.bind(1, kLeaseSpace).bind(2, school_).run();
    } catch (const StoreError&) {
      // The connection went: the server has released the lease with it.
    }
  }
  PgLease(const PgLease&) = delete;
  PgLease& operator=(const PgLease&) = delete;

  void confirm() override {
    if (!held())
      throw LeaseLost("the school's sync lease was lost with its connection to " + db_.where() +
                      ": this sync stops here, and the slot is synced again by whichever worker "
                      "takes the lease");
  }

  bool lost() override { return db_.session() != session_ || db_.seenClosed(); }
  bool canBeLost() const override { return true; }

 private:
  bool held() {
    if (db_.session() != session_) return false;
    try {
      db_.exec("SELECT 1", "check the school's sync lease");
    } catch (const StoreError&) {
      return false;
    }
    return db_.session() == session_;
  }

  std::shared_ptr<PgConnection> owned_;  // the lease's own connection (closed with it), or shared
  PgConnection& db_;
  std::string school_;
  int64_t run_;
  uint64_t session_;
};

class PgLeases final : public SyncLeases {
 public:
  PgLeases(std::string uri, std::string school, std::string password)
      : uri_(std::move(uri)), school_(std::move(school)), password_(std::move(password)) {}
  PgLeases(std::shared_ptr<PgConnection> shared, std::string school)
      : school_(std::move(school)), shared_(std::move(shared)) {}

  // On the worker's shared connection (the service), or on a connection of its own for each
  // lease, held while the lease is (a command's sync).
  std::unique_ptr<SyncLease> tryTake(const std::string& what) override {
    auto owned = connect();
    auto& db = *owned;
    PgStatement take(
        db, "SELECT pg_try_advisory_lock($1::int4, hashtext(current_schema() || ' ' || $2))",
        "take the school's sync lease");
    take.bind(1, kLeaseSpace).bind(2, school_);
    if (!take.step() || take.integer(0) == 0) return nullptr;
    take.reset();
    // A run left unfinished was a worker that died holding the lease (it is free now).
    PgStatement gone(db,
                     "UPDATE sync_runs SET outcome='its worker stopped before the end' WHERE "
                     "school=$1 AND finished_at IS NULL AND outcome=''",
                     "note a sync whose worker stopped");
    gone.bind(1, school_).run();
    // The log keeps kSyncLogDays: a run every few seconds through a long outage (delivery runs
    // are in it too) must not grow it without end.
    PgStatement old(db,
                    std::string("DELETE FROM sync_runs WHERE school=$1 AND started_at < ") +
                        kServerMs + " - " + std::to_string(kSyncLogDays * 86'400'000LL),
                    "forget the school's old syncs");
    old.bind(1, school_).run();
    PgStatement begin(db,
                      std::string("INSERT INTO sync_runs(school, worker, backend, what, "
                                  "started_at) VALUES($1, $2, pg_backend_pid(), $3, ") +
                          kServerMs + ") RETURNING id",
                      "record the start of the school's sync");
    begin.bind(1, school_).bind(2, thisWorker()).bind(3, what);
    begin.step();
    auto run = begin.integer(0);
    begin.reset();
    return std::make_unique<PgLease>(std::move(owned), school_, run);
  }

  std::optional<LeaseHolder> holder() override {
    auto owned = connect();
    auto& db = *owned;
    PgStatement s(
        db,
        "SELECT r.worker, r.what, to_char(to_timestamp(r.started_at / 1000.0) AT TIME "
        "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM sync_runs r JOIN pg_locks "
        "l ON l.pid = r.backend AND l.locktype = 'advisory' AND l.granted AND "
        "l.classid = $2::int4::oid AND l.objid = hashtext(current_schema() || ' ' || $1)::oid "
        "AND l.objsubid = 2 "
        "WHERE r.school = $1 AND r.finished_at IS NULL ORDER BY r.id DESC LIMIT 1",
        "read who holds the school's sync lease");
    s.bind(1, school_).bind(2, kLeaseSpace);
    if (!s.step()) return std::nullopt;
    return LeaseHolder{s.text(0), s.text(2), s.text(1)};
  }

 private:
  std::shared_ptr<PgConnection> connect() const {
    if (shared_) return shared_;
    auto db = std::make_shared<PgConnection>(uri_, password_);
    // PostgreSQL's own views (pg_stat_activity) name the worker too.
    db->name("markbridge worker");
    return db;
  }

  std::string uri_, school_, password_;
  std::shared_ptr<PgConnection> shared_;  // a worker's, or none: a connection per lease
};

}  // namespace

std::unique_ptr<SyncLeases> postgresSyncLeases(const std::string& uri, const std::string& school,
                                               const std::string& password) {
  return std::make_unique<PgLeases>(uri, school, password);
}

std::unique_ptr<SyncLeases> postgresSyncLeases(std::shared_ptr<PgConnection> shared,
                                               const std::string& school) {
  return std::make_unique<PgLeases>(std::move(shared), school);
}

}  // namespace markbridge
