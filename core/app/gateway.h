#pragma once
// The gateway assembled from its configuration: store, calendar, sources, rules and sinks, and
// the three steps of a sync in their one direction: import -> evaluate -> deliver.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "connectors/inbound/inbound_connector.h"
#include "core/app/gateway_config.h"
#include "core/outbox/delivery_worker.h"
#include "core/store/postgres_store.h"
#include "core/store/store.h"
#include "core/store/sync_lease.h"
#include "schedules/school_calendar.h"

namespace markbridge {

struct ImportResult {
  std::string source;
  std::string origin;
  ImportOutcome outcome;
  int rows = 0;
  int missing_marks = 0;
  int review_flags = 0;
  std::vector<Problem> problems;  // non-empty: the file was rejected whole, nothing stored
  std::vector<Problem> warnings;  // stored, but worth a person's look
  // Marks of possible sessions on days the calendar says are not school days: the calendar or
  // the export is wrong. They are stored; rules ignore them until the calendar says otherwise.
  int off_calendar = 0;
  std::optional<Date> first_off_calendar;
  // Marks pre-entered for sessions after today (planned absences entered ahead in the MIS): stored;
  // rules read them only when their day comes.
  int ahead = 0;
  std::optional<Date> first_ahead;
};

struct SyncReport {
  bool skipped = false;  // another sync held the school's lease: nothing was done
  // The lease was free but the sync was no longer due: another worker had done it (see
  // SyncObserver::still_due); `skipped` is set too.
  bool already_done = false;
  std::vector<ImportResult> imports;
  EvaluationOutcome evaluation;
  int pupils_evaluated = 0;
  DeliveryReport delivery;
  bool inputRejected() const;
};

// What a caller (the CLI, later the service) wants to hear while a sync runs.
struct SyncObserver {
  std::function<void(const ImportResult&)> imported;
  std::function<void(const EvaluationOutcome&, int pupils)> evaluated;
  std::function<void(const OutboxItem&, const DeliveryResult&)> attempted;
  std::function<bool()> should_stop;  // checked between deliveries: a graceful shutdown
  // What the sync is, for the database's sync log ("2026-11-30 morning register").
  std::string what = "sync";
  // Asked once the school's lease is held: false when the sync is no longer needed (another
  // worker did it while this one waited), and nothing is done.
  std::function<bool()> still_due;
  // Called at the end of a sync that ran, the lease still held (the service records the slot
  // done, so no other worker runs it again).
  std::function<void()> finished;
};

// The store the configuration names: the SQLite file, or the school's rows in PostgreSQL (its
// password read from store.password_env or store.password_file). Throws StoreError. With
// `share`, PostgreSQL through the worker's one connection (core/store/postgres_store.h).
std::unique_ptr<Store> openConfiguredStore(const GatewayConfig& config,
                                           PgConnectionShare* share = nullptr);
// Where the school's sync lease is taken: beside the SQLite file, or in PostgreSQL.
std::unique_ptr<SyncLeases> syncLeasesFor(const GatewayConfig& config,
                                          PgConnectionShare* share = nullptr);

class Gateway {
 public:
  // `check` leaves the store alone; `status` and the service's start also read the whole file
  // for damage (PRAGMA quick_check: seconds on an authority's store, so not on every sync).
  enum class Store { Open, Verify, Leave };
  // `Build` makes every source and sink (reading their tokens and keys): what a sync needs.
  // `Sources` makes the sources and only validates the sinks' settings, reading none of their
  // secrets (`import`: it reads files, never delivers). `Look` validates both and builds neither
  // (status, explain, outbox, reconcile). A part not built is not in sources() or sinks(), and
  // what needs it (import; evaluate and deliver) refuses to run.
  enum class Connectors { Build, Sources, Look };
  // Builds every part (reads the calendar and secrets, opens the store). Throws ProblemError.
  // `share`: its PostgreSQL store and lease on the worker's one connection, which every school
  // of the service takes turns on (the service's gateways; never two threads at once).
  explicit Gateway(GatewayConfig config, Store store = Store::Open,
                   Connectors connectors = Connectors::Build, PgConnectionShare* share = nullptr);
  ~Gateway();

  // Files named on the command line, read with one source's settings.
  std::vector<ImportResult> importFiles(InboundConnector& source,
                                        const std::vector<std::filesystem::path>& files);
  std::vector<ImportResult> importSources();
  // Pure rules over the stored register; events and outbox rows written in one transaction.
  EvaluationOutcome evaluate(int* pupilsEvaluated = nullptr);
  DeliveryReport deliver(
      const std::function<void(const OutboxItem&, const DeliveryResult&)>& onAttempt,
      const std::function<bool()>& shouldStop = {});
  // Import, evaluate, deliver, holding the store's sync lock (skipped when another sync holds
  // it). With `reconcileFrom`, sources that can read again what changed since then (nightly).
  SyncReport sync(const SyncObserver& observer = {},
                  std::optional<Date> reconcileFrom = std::nullopt);
  // `sync --dry-run`: import and evaluate as a sync would, delivering nothing and moving no
  // dropped file. Only on a gateway opened on a copy of the store (see command_preview.cpp):
  // what it imports and queues stays in that copy.
  SyncReport preview();
  // Delivery alone, holding the school's sync lease (skipped when a sync holds it): the service
  // retries items waiting on a backoff, a Retry-After or a paused sink when their time comes, not
  // only at the next register's sync.
  SyncReport deliverWaiting(const SyncObserver& observer = {});
  // When the next waiting outbox item is due (unix ms), if any.
  std::optional<int64_t> nextDeliveryDue();
  // A paused sink resumed by hand (its credentials fixed): its pending items are due now and
  // its pause is lifted, here and (through the store) in a running service's next delivery.
  // Returns how many items were made due.
  int resumeSink(const std::string& sink, int64_t nowMs);
  // Each sink's circuit breaker as delivery left it (a sink not sent to by this gateway has
  // none): `status` and /health say "paused" exactly when one is open.
  const std::map<std::string, CircuitBreaker>& circuits() const { return circuits_; }

  markbridge::Store& store() { return *store_; }
  const SchoolCalendar& calendar() const { return calendar_; }
  const GatewayConfig& config() const { return config_; }
  InboundConnector* source(const std::string& name);
  const std::vector<std::unique_ptr<InboundConnector>>& sources() const { return sources_; }
  const std::vector<std::unique_ptr<Sink>>& sinks() const { return sinks_; }
  // The configured sources' and sinks' names, built or not.
  std::vector<std::string> sourceNames() const;
  std::vector<std::string> sinkNames() const;

  // Injected for tests; system clock and random by default.
  void setClock(Clock* clock, RandomSource* random) {
    clock_ = clock;
    random_ = random;
  }

 private:
  GatewayConfig config_;
  SchoolCalendar calendar_;
  std::unique_ptr<markbridge::Store> store_;
  std::unique_ptr<SyncLeases> leases_;  // the school's sync lease (core/store/sync_lease.h)
  std::vector<std::unique_ptr<InboundConnector>> sources_;
  std::vector<std::unique_ptr<Sink>> sinks_;
  SystemClock systemClock_;
  SystemRandom systemRandom_;
  Clock* clock_ = &systemClock_;
  RandomSource* random_ = &systemRandom_;
  std::map<std::string, CircuitBreaker> circuits_;  // per sink, kept from one sync to the next
  std::map<std::string, SinkPace>
      paces_;  // per sink: a slowed rate outlasts the run that slowed it
  std::map<std::string, int64_t> resumedAt_;  // per sink: the last resume acted on
  Connectors connectors_;
  void applyResumes();
  void requireConnectors(const char* step) const;
};

}  // namespace markbridge
