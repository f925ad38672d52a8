#pragma once
// A school's sync runs in one process at a time, wherever the processes are: the lease on it.
// Beside a SQLite store it is an exclusive lock on a file next to the store (flock: one machine);
// in PostgreSQL a session advisory lock on a connection of its own, so any number of
// `markbridge run` workers on any number of machines share a trust's schools. A sync that finds
// the lease taken does not wait and does not stack: the sync in progress covers what it would
// have done (the service tries the slot again while it is not done; see core/app/service.cpp).
//
// A worker that dies releases its leases: its process's files are closed by the kernel, its
// PostgreSQL connections are closed (a process killed) or dropped by the server's keepalive
// within kLeaseLostWithinSeconds (a machine gone). A lease whose connection dropped is lost:
// confirm() says so, and the sync holding it stops before its next step.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/store/store_error.h"

namespace markbridge {

// The server closes a lease connection whose machine stopped answering within this: TCP
// keepalives every 5 s after 10 s idle, 3 unanswered (set on the connection itself).
constexpr int kLeaseLostWithinSeconds = 25;

// This process as a worker: "host:pid", what /status and the database's sync log name.
const std::string& thisWorker();
// Where this worker starts its walk through `schools` schools: when their store is shared with
// other workers (PostgreSQL), a school of its own (from thisWorker()), so that at a register
// close workers meet each other's leases rarely; otherwise the first, as configured.
std::size_t walkStart(std::size_t schools, bool sharedStore);
// The schools' indexes in the order a worker walks them: from walkStart, round to the one before.
std::vector<std::size_t> walkOrder(std::size_t schools, bool sharedStore);
// The walk on after `order[at]` was found held by another worker, which walks on from there
// too: the schools left in `order` (after `at`) taken from halfway, the first half after them.
// Two workers that meet at a register close would otherwise leapfrog to the end, each finding
// every other school held; this way they part, and meet again only where their halves meet
// (simulated for two workers: tests/core/postgres_store_test.cpp).
void walkOnFromHalfway(std::vector<std::size_t>& order, std::size_t at);

class LeaseLost : public StoreError {
 public:
  using StoreError::StoreError;
};

class SyncLease {
 public:
  virtual ~SyncLease() = default;
  // Throws LeaseLost when the lease is no longer held (the connection holding it dropped).
  virtual void confirm() = 0;
  // Whether the lease is seen to be lost without asking the server: checked before each request
  // of a delivery run, so a worker whose lease went mid-run (the database restarted, its
  // connection ended) sends nothing more while another worker may hold the school.
  virtual bool lost() { return false; }
  // Whether lost() can ever be true (a PostgreSQL lease; not a lock on an open file).
  virtual bool canBeLost() const { return false; }
};

// Who holds a school's lease now, for /status.
struct LeaseHolder {
  std::string worker;  // "host:pid"
  std::string since;   // ISO UTC, when the sync began
  std::string what;    // what it is ("2026-11-30 morning register", "sync now")
};

class SyncLeases {
 public:
  virtual ~SyncLeases() = default;
  // The school's lease, or nothing when another process holds it. `what` is recorded with it.
  virtual std::unique_ptr<SyncLease> tryTake(const std::string& what) = 0;
  // Who holds it now (nothing: no one, or the backend cannot tell).
  virtual std::optional<LeaseHolder> holder() = 0;
};

// The lease beside the SQLite store at `store` (a file `store` + ".lock").
std::unique_ptr<SyncLeases> fileSyncLeases(const std::filesystem::path& store);
// The lease in the PostgreSQL database at `uri` for `school` (its URN), on a connection of its
// own made when it is taken and closed when it is released (a worker serving many schools holds
// one more connection only while it syncs). Each sync is also written to the database's sync log
// (sync_runs: school, worker, what, started, finished), which shows no two overlapped.
std::unique_ptr<SyncLeases> postgresSyncLeases(const std::string& uri, const std::string& school,
                                               const std::string& password = "");
// The same on a worker's shared connection (PgConnectionShare, core/store/postgres_store.h):
// held on it, so freed when the worker's connection ends, as above; no connection is made.
class PgConnection;
std::unique_ptr<SyncLeases> postgresSyncLeases(std::shared_ptr<PgConnection> shared,
                                               const std::string& school);

}  // namespace markbridge
