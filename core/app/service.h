#pragma once
// `markbridge run`: the gateway as a service. It syncs after every register closes and each
// night (schedules/sync_schedule.h), catching up in order on every close it missed while it was
// down; one sync at a time (a lock that also holds across processes). SIGTERM stops it after
// the delivery in flight, the outbox consistent; SIGHUP reads the config again (a config with
// problems is refused and the running one kept). An admin API (admin_api.h) shows its state and
// runs a sync on demand.

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/app/gateway.h"
#include "core/app/service_health.h"
#include "core/app/sink_health.h"

namespace markbridge {

class AdminApi;

// What the last sync read from one source (for the console's overview).
struct SourceFigures {
  int64_t at = 0;    // unix seconds
  int inputs = 0;    // files or pulls read
  int rows = 0;      // rows read from them
  int refused = 0;   // inputs refused whole
  int problems = 0;  // problems in the refused ones
};

struct ServiceFigures {
  int64_t syncs_ok = 0, syncs_failed = 0, syncs_skipped = 0;
  int64_t marks_imported = 0, rule_firings = 0, delivered = 0;
  std::map<std::string, int64_t> last_success;  // connector -> unix seconds
  int64_t last_sync_at = 0;
  std::string last_sync;  // what it was and how it went
  std::string next_sync;  // the next scheduled one
  // Between registers the service retries waiting outbox items when they fall due (a backoff,
  // a Retry-After, a paused sink's cool-down), not only at the next scheduled sync.
  int64_t retry_runs = 0;                   // delivery-only runs between syncs
  int64_t delivered_between_registers = 0;  // of `delivered`, by those runs
  int64_t next_retry_at_ms = 0;             // when the next waiting item is due (0: none)
  std::string next_retry;                   // the same, said for /health
  int syncs_failed_in_a_row = 0;
  std::map<std::string, SinkHealth> sinks;       // after the last sync
  std::optional<HealthConcern> schedule;         // no sync due in the next school week
  std::optional<HealthConcern> storage;          // its store failed (a trust's school)
  std::optional<HealthConcern> reload;           // the last reload left it on its old settings
  std::map<std::string, SourceFigures> sources;  // the last sync's imports, per source
  // The last syncs, newest first (at most kRecentSyncs): "when (London): what: how it went".
  static constexpr std::size_t kRecentSyncs = 10;
  std::vector<std::string> recent_syncs;
};

// What makes /health degraded for a school with these figures.
std::vector<HealthConcern> concernsIn(const ServiceFigures& f);

class Service {
 public:
  // `school` (`markbridge run --school URN`): that school of the configuration alone, at the
  // start and at each reload (a worker of its own for a large school); "" serves every school.
  Service(std::filesystem::path configFile, Clock& clock, std::string school = "");
  ~Service();
  // Runs until stop() (or SIGTERM/SIGINT when `handleSignals`). Returns the exit code.
  int run(bool handleSignals = true);
  void stop();
  void reload();

  // A trust's configuration (`schools: [...]`) is served by one service: each school syncs from
  // its own calendar and schedule, one school's sync after another (a trust's server has few
  // cores, and a sync is mostly one core's work on its own store); a school whose sync fails
  // or whose sink is paused never holds up another's. `urn` names a school; "" is the first
  // (the only one of a single-school configuration; the web console's default).
  std::vector<std::string> schools() const;  // their URNs, in the configuration's order
  // Schools the configuration names that the last reload could not add (their stores could not
  // be opened): each with what /health says of it. Served by none until a reload adds them.
  std::vector<std::pair<std::string, HealthConcern>> schoolsNotAdded() const;
  bool manySchools() const;  // the configuration is the `schools` form

  // For the admin API (any thread).
  // Runs a sync now; nothing (and `busy`) when a sync or a delivery run is under way. It waits
  // out the main loop's short holds of the gateway (working out what is due), which are not a
  // sync: a technician's "sync now" is never refused for them. Throws std::out_of_range for a
  // URN the configuration does not hold.
  std::optional<SyncReport> syncNow(const std::string& why, bool& busy,
                                    const std::string& urn = "");
  ServiceFigures figures(const std::string& urn = "") const;
  // What makes /health "degraded" now; empty: ok.
  std::vector<HealthConcern> concerns(const std::string& urn = "") const;
  std::filesystem::path storePath() const;
  // Which worker is syncing the school now, and since when (PostgreSQL: any worker on the same
  // store; SQLite: not told). Reads through the calling thread's connection (openStore).
  std::optional<LeaseHolder> syncRunning(const std::string& urn = "") const;
  // The school's configured store (SQLite or PostgreSQL) for the admin API's and the console's
  // reads and commands, never the sync's: on PostgreSQL through one connection per calling
  // thread, kept while the thread lives, whichever school it reads.
  std::unique_ptr<markbridge::Store> openStore(const std::string& urn = "") const;
  const std::filesystem::path& configFile() const { return configFile_; }
  // The school's configuration running now (a reload replaces it; this one stays as it is).
  // It never waits for a sync, as reads of the store through openStore() do not. Null for a
  // URN the configuration does not hold.
  std::shared_ptr<const GatewayConfig> config(const std::string& urn = "") const;
  // The outbox was changed by hand (a retry in the console): look again at what is due now.
  void outboxChanged();
  Clock& clock() const { return clock_; }
  uint16_t adminPort() const;

 private:
  // One school's part: its gateway (store connection, sources, sinks) and, for the main loop,
  // the last slot it synced and its last delivery-only run.
  struct School {
    std::string urn;
    std::unique_ptr<Gateway> gateway;
    int64_t last_at = 0;
    int64_t last_retry_ms = 0;
    // A slot found running on another worker is looked at again from then (unix seconds): done
    // by then, or taken over when that worker died (its lease freed).
    int64_t look_again_at = 0;
    // Its store read at the start (last slot, sinks' health). A trust's school whose store
    // fails then is started again later (every 5 s, doubling to 5 minutes), the others served.
    bool started = false;
    int start_failures = 0;
  };
  School& schoolFor(const std::string& urn);  // under gatewayMutex_
  void startSchool(School& school);           // under gatewayMutex_
  // startSchool, but a trust's school whose store fails is said and tried again later (false).
  bool startOrLater(School& school);  // under gatewayMutex_
  // The schools in the order a walk through them goes: from this worker's own where workers
  // share a PostgreSQL store, else from the first (walkOrder, core/store/sync_lease.h).
  std::vector<std::size_t> walkOrder() const;
  // A piece of a school's work; a trust's school's storage failure is said (log, /health) and
  // false returned, the others going on. One school's stops the service (exit 6).
  bool forSchool(School& school, const std::function<void()>& work, std::string_view again);
  // False when another worker holds the school's lease (the slot is not done yet).
  bool runSlot(School& school, const SyncSlot& slot);
  // The last slot the school's store says was synced (by any worker), unix seconds.
  int64_t lastSlotSynced(School& school);
  void retryWaiting(School& school);
  // What a sync or a delivery run reports back: each attempt to the sinks' health, and a stop.
  SyncObserver watching(SinkHealthTracker& sinkHealth);
  // When the next waiting outbox item is due (unix ms), noted in the figures; returns `due`.
  std::optional<int64_t> noteNextRetry(const std::string& urn, std::optional<int64_t> due);
  // `slot`: a scheduled sync, run only while no worker has done it, and recorded done by it.
  SyncReport syncLocked(School& school, const std::string& why, std::optional<Date> reconcileFrom,
                        const SyncSlot* slot = nullptr);
  void doReload();
  // The URN a LogSchool scope gives this school's log lines: "" when the service serves one
  // school (its lines stay as they always were).
  std::string logged(const std::string& urn) const;

  std::filesystem::path configFile_;
  std::string only_;  // --school: the one school served, or "" for all
  Clock& clock_;
  // Every school's PostgreSQL store and lease on one connection (they take turns under
  // gatewayMutex_); the admin API's reads open their own.
  PgConnectionShare share_;
  std::atomic<bool> many_{false};
  std::vector<School> schools_;      // the main loop's; replaced by a reload under gatewayMutex_
  mutable std::mutex gatewayMutex_;  // the gateways (and their store connections): one thread's
  mutable std::mutex configMutex_;
  // The schools' configurations, for readers (configMutex_), in order.
  std::vector<std::shared_ptr<const GatewayConfig>> configs_;
  mutable std::mutex figuresMutex_;
  std::map<std::string, ServiceFigures> figures_;                // per school
  std::vector<std::pair<std::string, HealthConcern>> notAdded_;  // at the last reload
  std::mutex wakeMutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false}, reloading_{false};
  std::atomic<bool> outboxChanged_{false};  // a sync on demand: look again at what is due
  std::atomic<bool> working_{false};  // a sync or a delivery run holds a gateway (not a glance)
  std::unique_ptr<AdminApi> admin_;
};

}  // namespace markbridge
