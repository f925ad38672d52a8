#include "core/app/service.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

#include "connectors/outbound/common/connection_shelf.h"
#include "core/app/admin_api.h"
#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/app/deployment_config.h"
#include "core/domain/logging.h"
#include "core/store/sqlite_db.h"
#include "core/store/sync_lease.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

constexpr const char* kState = "_service";
constexpr const char* kLastSlot = "last_slot_at";
// A slot another worker is syncing is looked at again this often (seconds).
constexpr int64_t kLookAgainSeconds = 5;

// Every school's gateway built, in the configuration's order, or the configuration's problems
// (or the first store that cannot be opened) thrown. `atReload`: in a trust's configuration a
// school whose store cannot be opened is listed with why (its gateway null), the others built.
struct Opened {
  struct School {
    std::string urn;
    std::unique_ptr<Gateway> gateway;  // null: its store could not be opened (`failed` says why)
    std::string failed;
  };
  bool many = false;
  std::vector<School> schools;
};

Opened openConfigured(const std::filesystem::path& file, PgConnectionShare& share,
                      const std::string& only, bool atReload = false) {
  std::vector<Problem> problems;
  auto deployment = loadDeployment(file, problems);
  if (!problems.empty()) throw ProblemError(problems);
  if (!only.empty()) {
    const GatewayConfig* one = deployment.school(only);
    if (!one)
      throw ProblemError({Problem{file.string(), 0, 0, "--school", only,
                                  "no school with this URN in the configuration; its schools "
                                  "are " +
                                      urnList(deployment.urns())}});
    GatewayConfig kept = *one;
    deployment.schools = {std::move(kept)};
  }
  Opened opened;
  opened.many = deployment.many;
  for (auto& config : deployment.schools) {
    Opened::School school{config.school.urn, nullptr, ""};
    try {
      school.gateway = std::make_unique<Gateway>(std::move(config), Gateway::Store::Verify,
                                                 Gateway::Connectors::Build, &share);
    } catch (const StoreError& e) {
      if (!atReload || !deployment.many) throw;
      school.failed = e.what();
    }
    opened.schools.push_back(std::move(school));
  }
  return opened;
}

// The admin API's and the console's reads on PostgreSQL: one connection for each thread that
// serves them, kept while the thread lives. A trust's /status and /metrics read every school's
// store and lease: a connection each was hundreds for every scrape.
PgConnectionShare& readersShare() {
  thread_local PgConnectionShare share("markbridge admin");
  return share;
}

// Marks the gateway as busy with a sync or a delivery run for as long as it lives.
struct Working {
  std::atomic<bool>& flag;
  explicit Working(std::atomic<bool>& f) : flag(f) { flag = true; }
  ~Working() { flag = false; }
  Working(const Working&) = delete;
  Working& operator=(const Working&) = delete;
};
}  // namespace

Service::Service(std::filesystem::path configFile, Clock& clock, std::string school)
    : configFile_(std::move(configFile)), only_(std::move(school)), clock_(clock) {
  auto opened = openConfigured(configFile_, share_, only_);
  many_ = opened.many;
  for (auto& one : opened.schools) {
    School school;
    school.urn = one.urn;
    school.gateway = std::move(one.gateway);
    configs_.push_back(std::make_shared<const GatewayConfig>(school.gateway->config()));
    figures_[school.urn];
    schools_.push_back(std::move(school));
  }
  const auto& first = schools_.front().gateway->config();
  configureLogging(first.log_level, first.service.log_file.string());
}

Service::~Service() = default;

std::string Service::logged(const std::string& urn) const {
  return many_ ? urn : "";
}

std::vector<std::string> Service::schools() const {
  std::lock_guard lock(configMutex_);
  std::vector<std::string> urns;
  for (const auto& c : configs_) urns.push_back(c->school.urn);
  return urns;
}

bool Service::manySchools() const {
  return many_;
}

Service::School& Service::schoolFor(const std::string& urn) {
  for (auto& school : schools_)
    if (urn.empty() || school.urn == urn) return school;
  throw std::out_of_range("no school with URN " + urn);
}

std::filesystem::path Service::storePath() const {
  return config()->store_path;
}

std::unique_ptr<Store> Service::openStore(const std::string& urn) const {
  GatewayConfig store;  // the store's settings only
  {
    auto running = config(urn);  // not the gateway's lock: a sync holds it while it runs
    if (!running) throw std::out_of_range("no school with URN " + urn);
    const auto& config = *running;
    store.school = config.school;
    store.store_path = config.store_path;
    store.store_postgresql = config.store_postgresql;
    store.store_password_env = config.store_password_env;
    store.store_password_file = config.store_password_file;
  }
  return openConfiguredStore(store, &readersShare());
}

std::optional<LeaseHolder> Service::syncRunning(const std::string& urn) const {
  auto running = config(urn);
  if (!running) throw std::out_of_range("no school with URN " + urn);
  return syncLeasesFor(*running, &readersShare())->holder();
}

std::shared_ptr<const GatewayConfig> Service::config(const std::string& urn) const {
  std::lock_guard lock(configMutex_);
  for (const auto& c : configs_)
    if (urn.empty() || c->school.urn == urn) return c;
  return nullptr;
}

void Service::outboxChanged() {
  {
    std::lock_guard wakeLock(wakeMutex_);
    outboxChanged_ = true;
  }
  wake_.notify_all();
}

std::vector<std::pair<std::string, HealthConcern>> Service::schoolsNotAdded() const {
  std::lock_guard lock(figuresMutex_);
  return notAdded_;
}

uint16_t Service::adminPort() const {
  return admin_ ? admin_->port() : 0;
}

ServiceFigures Service::figures(const std::string& urn) const {
  auto school = config(urn);
  std::lock_guard lock(figuresMutex_);
  auto found = school ? figures_.find(school->school.urn) : figures_.end();
  return found == figures_.end() ? ServiceFigures{} : found->second;
}

std::vector<HealthConcern> concernsIn(const ServiceFigures& f) {
  return healthConcerns(
      {f.schedule, f.syncs_failed_in_a_row, f.last_sync, f.sinks, f.storage, f.reload});
}

std::vector<HealthConcern> Service::concerns(const std::string& urn) const {
  return concernsIn(figures(urn));
}

void Service::stop() {
  stopping_ = true;
  wake_.notify_all();
}

void Service::reload() {
  reloading_ = true;
  wake_.notify_all();
}

void Service::startSchool(School& school) {
  LogSchool about(logged(school.urn));
  auto log = namedLogger("service");
  auto& gateway = *school.gateway;
  {
    auto sinks = loadSinkHealth(gateway);
    std::lock_guard figuresLock(figuresMutex_);
    figures_[school.urn].sinks = std::move(sinks);
  }
  for (const auto& warning :
       calendarWarnings(gateway.calendar(), london::localDate(clock_.nowMs() / 1000)))
    log->warn("{}", warning);
  auto stored = gateway.store().sourceState(kState, kLastSlot);
  // The first start catches up on nothing; later starts on every close since the last.
  school.last_at = stored ? std::stoll(*stored) : clock_.nowMs() / 1000;
  if (!stored)
    gateway.store().setSourceState(kState, kLastSlot, std::to_string(school.last_at),
                                   clock_.nowMs());
  school.started = true;
  school.start_failures = 0;
}

bool Service::forSchool(School& school, const std::function<void()>& work, std::string_view again) {
  LogSchool about(logged(school.urn));
  std::optional<HealthConcern> storage;
  bool done = true;
  try {
    work();
  } catch (const StoreError& e) {
    if (!many_) throw;  // one school: the service stops (exit 6), as it always has
    namedLogger("service")->error(
        "storage failure: {}; this school is tried again {}, the "
        "others go on",
        e.what(), again);
    storage = HealthConcern{
        "the school's store failed: " + std::string(e.what()) + "; it is tried again " +
            std::string(again),
        "check the store is reachable (for PostgreSQL: the server is up, the network and "
        "pg_hba.conf let this machine in; docs/scale-out.md, 'When something fails'); nothing "
        "needs doing here once it is"};
    done = false;
  }
  std::lock_guard lock(figuresMutex_);
  figures_[school.urn].storage = std::move(storage);
  return done;
}

std::vector<std::size_t> Service::walkOrder() const {
  return markbridge::walkOrder(
      schools_.size(),
      !schools_.empty() && !schools_.front().gateway->config().store_postgresql.empty());
}

bool Service::startOrLater(School& school) {
  if (forSchool(
          school, [&] { startSchool(school); }, "shortly (its start)"))
    return true;
  const int64_t wait =
      std::min<int64_t>(300, kLookAgainSeconds << std::min(school.start_failures, 6));
  ++school.start_failures;
  school.look_again_at = clock_.nowMs() / 1000 + wait;
  return false;
}

void Service::doReload() {
  reloading_ = false;
  auto log = namedLogger("service");
  try {
    // Under the gateways' lock: the new stores open on the worker's connection, which a sync
    // asked for through the admin API (on its own thread) may be using.
    std::lock_guard lock(gatewayMutex_);
    auto opened = openConfigured(configFile_, share_, only_, true);
    std::vector<School> fresh;
    std::vector<std::string> added, removed;
    std::map<std::string, HealthConcern> keptBack;                // served, on its old settings
    std::vector<std::pair<std::string, HealthConcern>> notAdded;  // new, not served
    auto putRight = [](const std::string& urn) {
      return "make the store openable and readable (`markbridge status --school " + urn +
             "` says what is wrong with it), then `systemctl reload markbridge`";
    };
    auto notServed = [&](const std::string& urn, const std::string& why) {
      notAdded.emplace_back(urn, HealthConcern{"school " + urn +
                                                   " is in the configuration but NOT served: the "
                                                   "last reload could not " +
                                                   why,
                                               putRight(urn)});
    };
    for (const auto& old : schools_)
      if (std::none_of(opened.schools.begin(), opened.schools.end(),
                       [&](const Opened::School& s) { return s.urn == old.urn; }))
        removed.push_back(old.urn);
    for (auto& one : opened.schools) {
      LogSchool about(logged(one.urn));
      if (!one.gateway) {
        // Its store cannot be opened now: a school already served goes on with the settings
        // it was running, a new one waits for the next reload; the others take theirs up.
        auto old = std::find_if(schools_.begin(), schools_.end(),
                                [&](const School& s) { return s.urn == one.urn; });
        if (old != schools_.end()) {
          log->error(
              "the reload could not open this school's store: {}; it goes on with the "
              "configuration it was running (reload again once the store can be opened)",
              one.failed);
          keptBack[one.urn] = {"the last reload could not open the school's store (" + one.failed +
                                   "): it goes on with the configuration it was running",
                               putRight(one.urn)};
          fresh.push_back(School{});  // its running one, moved in once nothing can fail
          fresh.back().urn = one.urn;
        } else {
          log->error(
              "school {} NOT added: its store cannot be opened: {}; reload again once it "
              "can be",
              one.urn, one.failed);
          notServed(one.urn, "open its store (" + one.failed + ")");
        }
        continue;
      }
      School school;
      school.urn = one.urn;
      school.gateway = std::move(one.gateway);
      bool served = false;
      // A school already served keeps its place in the schedule.
      for (const auto& old : schools_)
        if (old.urn == school.urn) {
          school.last_at = old.last_at;
          school.last_retry_ms = old.last_retry_ms;
          school.look_again_at = old.look_again_at;
          school.started = old.started;  // one whose store failed at the start: still to start
          school.start_failures = old.start_failures;
          served = true;
        }
      if (!served) added.push_back(school.urn);
      fresh.push_back(std::move(school));
    }
    // A new school starts as the service's start starts each (its store read before it is
    // served); one whose store opened but cannot be read is not added, as above.
    for (auto it = fresh.begin(); it != fresh.end();) {
      if (std::find(added.begin(), added.end(), it->urn) == added.end()) {
        ++it;
        continue;
      }
      try {
        startSchool(*it);
        ++it;
      } catch (const StoreError& e) {
        LogSchool about(logged(it->urn));
        log->error("school {} NOT added: its store cannot be read: {}; reload again once it can be",
                   it->urn, e.what());
        notServed(it->urn, "read its store (" + std::string(e.what()) + ")");
        {
          std::lock_guard figuresLock(figuresMutex_);
          figures_.erase(it->urn);  // what its start had begun to record
        }
        added.erase(std::find(added.begin(), added.end(), it->urn));
        it = fresh.erase(it);
      }
    }
    if (fresh.empty())
      throw StoreError("no school in it could be served" +
                       (notAdded.empty() ? std::string() : ": " + notAdded.front().second.problem));
    for (auto& school : fresh)
      if (!school.gateway)
        for (auto& old : schools_)
          if (old.urn == school.urn) school = std::move(old);
    schools_ = std::move(fresh);
    {
      std::lock_guard configLock(configMutex_);
      many_ = opened.many;
      configs_.clear();
      for (const auto& school : schools_)
        configs_.push_back(std::make_shared<const GatewayConfig>(school.gateway->config()));
    }
    {
      std::lock_guard figuresLock(figuresMutex_);
      for (const auto& urn : removed) figures_.erase(urn);
      for (const auto& school : schools_) {
        auto kept = keptBack.find(school.urn);
        figures_[school.urn].reload =
            kept == keptBack.end() ? std::nullopt : std::optional(kept->second);
      }
      notAdded_ = std::move(notAdded);
    }
    log->info("configuration reloaded from {}", configFile_.string());
    if (!added.empty()) log->info("schools added: {}; their syncs start now", urnList(added));
    if (!removed.empty())
      log->info("schools removed: {}; nothing more is synced for them (their stores are kept)",
                urnList(removed));
    // A reload is how a fixed token or certificate is taken up: a sink paused for its
    // credentials is resumed now, its waiting items due at once.
    for (auto& school : schools_) {
      LogSchool about(logged(school.urn));
      for (const auto& [sink, health] : figures(school.urn).sinks)
        if (health.state == SinkState::PausedCredentials)
          log->info("sink {} resumed after the reload: {} pending item(s) due now", sink,
                    school.gateway->resumeSink(sink, clock_.nowMs()));
    }
  } catch (const ProblemError& e) {
    log->error("configuration NOT reloaded: {} problem(s), first: {}; the running one is kept",
               e.problems().size(), e.problems().front().str());
  } catch (const std::exception& e) {
    log->error("configuration NOT reloaded: {}; the running one is kept", e.what());
  }
}

SyncObserver Service::watching(SinkHealthTracker& sinkHealth) {
  SyncObserver observer;
  observer.should_stop = [this] { return stopping_.load(); };
  observer.attempted = [this, &sinkHealth](const OutboxItem& item, const DeliveryResult& result) {
    sinkHealth.attempted(item.sink, result, clock_.nowMs());
  };
  return observer;
}

SyncReport Service::syncLocked(School& school, const std::string& why,
                               std::optional<Date> reconcileFrom, const SyncSlot* slot) {
  Working working(working_);
  LogSchool about(logged(school.urn));
  auto log = namedLogger("service");
  auto& gateway = *school.gateway;
  int64_t now = clock_.nowMs() / 1000;
  std::map<std::string, std::pair<int64_t, int64_t>> before;  // sink -> retries, failures
  for (const auto& s : gateway.sinks())
    before[s->name()] = {s->counters().retries, s->counters().failures};
  SinkHealthTracker sinkHealth(figures(school.urn).sinks);
  auto observer = watching(sinkHealth);
  observer.what = why;
  auto recordSlot = [&] {
    gateway.store().setSourceState(kState, kLastSlot, std::to_string(slot->at), clock_.nowMs());
  };
  if (slot) {
    // With several workers on one store, the slot may have been synced by another meanwhile.
    observer.still_due = [&] { return lastSlotSynced(school) < slot->at; };
    observer.finished = recordSlot;
  }
  SyncReport report;
  bool failed = false;
  std::map<std::string, SinkHealth> sinks;
  try {
    report = gateway.sync(observer, reconcileFrom);
    if (!report.skipped) sinks = recordSinkHealth(gateway, sinkHealth, clock_.nowMs());
  } catch (const std::exception& e) {
    failed = true;
    log->error("{}: sync failed: {}", why, e.what());
    // A failed slot is not run again: the next one covers what it would have done. (A lease
    // lost is the exception: whichever worker takes the lease runs the slot again.)
    try {
      if (slot && !dynamic_cast<const LeaseLost*>(&e)) recordSlot();
    } catch (const std::exception& again) {
      log->error("{}: recording the slot failed too: {}", why, again.what());
    }
  }
  if (report.already_done) {
    log->info("{}: already synced by another worker", why);
    return report;
  }
  // A slot another worker is syncing is looked at again every few seconds: not a sync skipped.
  if (report.skipped && slot) return report;
  std::lock_guard lock(figuresMutex_);
  auto& f = figures_[school.urn];
  auto remember = [&] {
    auto& recent = f.recent_syncs;
    recent.insert(recent.begin(), londonTime(now) + ": " + f.last_sync);
    if (recent.size() > ServiceFigures::kRecentSyncs) recent.resize(ServiceFigures::kRecentSyncs);
  };
  if (report.skipped) {
    ++f.syncs_skipped;
    f.last_sync = why + ": skipped, another sync was running";
    remember();
    return report;
  }
  failed ? ++f.syncs_failed : ++f.syncs_ok;
  f.syncs_failed_in_a_row = failed ? f.syncs_failed_in_a_row + 1 : 0;
  f.last_sync_at = now;
  if (failed) {
    f.last_sync = why + ": failed";
    remember();
    return report;
  }
  std::map<std::string, SourceFigures> read;
  for (const auto& i : report.imports) {
    auto& r = read[i.source];
    r.at = now;
    ++r.inputs;
    r.rows += i.rows;
    if (!i.problems.empty()) {
      ++r.refused;
      r.problems += static_cast<int>(i.problems.size());
    }
  }
  for (auto& [source, r] : read) f.sources[source] = r;
  f.sinks = sinks;
  std::map<std::string, bool> sourceOk;
  for (const auto& i : report.imports) {
    f.marks_imported += i.outcome.marks_added + i.outcome.marks_amended;
    sourceOk[i.source] =
        sourceOk.count(i.source) ? sourceOk[i.source] && i.problems.empty() : i.problems.empty();
  }
  for (const auto& s : gateway.sources())
    if (!sourceOk.count(s->name()) || sourceOk[s->name()]) f.last_success[s->name()] = now;
  for (const auto& s : gateway.sinks()) {
    auto [retries, failures] = before[s->name()];
    if (s->counters().retries == retries && s->counters().failures == failures)
      f.last_success[s->name()] = now;
  }
  f.rule_firings += report.evaluation.new_events;
  f.delivered += report.delivery.delivered;
  f.last_sync = why + ": " + std::to_string(report.evaluation.new_events) + " new events, " +
                std::to_string(report.delivery.delivered) + " delivered, " +
                std::to_string(report.delivery.pending_left) + " pending";
  remember();
  log->info("{}", f.last_sync);
  return report;
}

std::optional<SyncReport> Service::syncNow(const std::string& why, bool& busy,
                                           const std::string& urn) {
  busy = working_;
  if (busy) return std::nullopt;
  std::unique_lock lock(gatewayMutex_);  // a glance by the main loop, or a run that just began
  auto& school = schoolFor(urn);
  auto report = syncLocked(school, why, std::nullopt);
  // The main loop looks again at when the items this sync left waiting fall due. (Under the
  // gateway's lock: the service's stop holds it while it waits for this thread.)
  noteNextRetry(school.urn, school.gateway->nextDeliveryDue());
  lock.unlock();
  {
    std::lock_guard wakeLock(wakeMutex_);
    outboxChanged_ = true;
  }
  wake_.notify_all();
  busy = report.skipped;
  if (busy) return std::nullopt;
  return report;
}

void Service::retryWaiting(School& school) {
  std::lock_guard lock(gatewayMutex_);
  Working working(working_);
  LogSchool about(logged(school.urn));
  auto log = namedLogger("service");
  SinkHealthTracker sinkHealth(figures(school.urn).sinks);
  auto observer = watching(sinkHealth);
  SyncReport report;
  std::map<std::string, SinkHealth> sinks;
  try {
    report = school.gateway->deliverWaiting(observer);
    if (report.skipped) return;  // a sync (another process's) is delivering them
    sinks = recordSinkHealth(*school.gateway, sinkHealth, clock_.nowMs());
  } catch (const std::exception& e) {
    log->error("retrying the waiting deliveries failed: {}", e.what());
    return;
  }
  const auto& d = report.delivery;
  if (d.delivered || d.rejected)
    log->info(
        "waiting deliveries retried between registers: {} delivered, {} dead-lettered, {} "
        "still pending",
        d.delivered, d.rejected, d.pending_left);
  std::lock_guard figuresLock(figuresMutex_);
  auto& f = figures_[school.urn];
  f.sinks = std::move(sinks);
  ++f.retry_runs;
  f.delivered += d.delivered;
  f.delivered_between_registers += d.delivered;
}

std::optional<int64_t> Service::noteNextRetry(const std::string& urn, std::optional<int64_t> due) {
  std::lock_guard lock(figuresMutex_);
  auto& f = figures_[urn];
  f.next_retry_at_ms = due.value_or(0);
  f.next_retry = due ? "waiting outbox items are next tried at " + londonTime(*due / 1000) : "";
  return due;
}

int64_t Service::lastSlotSynced(School& school) {
  auto stored = school.gateway->store().sourceState(kState, kLastSlot);
  return stored ? std::stoll(*stored) : 0;
}

bool Service::runSlot(School& school, const SyncSlot& slot) {
  std::lock_guard lock(gatewayMutex_);
  auto& gateway = *school.gateway;
  std::optional<Date> reconcileFrom;
  if (slot.kind == SyncSlot::Kind::Nightly) {
    const auto& days = gateway.calendar().index().days;
    auto at = std::upper_bound(days.begin(), days.end(), slot.day) - days.begin() - 1;
    auto back =
        std::max<std::ptrdiff_t>(0, at - gateway.config().schedule.reconcile_school_days + 1);
    if (at >= 0) reconcileFrom = days[static_cast<std::size_t>(back)];
  }
  auto report = syncLocked(school, slot.describe(), reconcileFrom, &slot);
  return !report.skipped || report.already_done;
}

int Service::run(bool handleSignals) {
  auto log = namedLogger("service");
  // A client that went away (or was cut off by the admin API) makes a write fail, not the
  // process die.
  std::signal(SIGPIPE, SIG_IGN);
  std::thread signals;
  std::atomic<bool> signalled{false};
  if (handleSignals) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);  // every thread started from here inherits it
    signals = std::thread([this, set, &signalled] {
      for (;;) {
        int signal = 0;
        sigwait(&set, &signal);
        if (signal == SIGHUP && !stopping_) {
          reload();
          continue;
        }
        signalled = true;
        stop();
        return;
      }
    });
  }
  int code = 0;
  try {
    const auto svc = config()->service;
    if (svc.admin_port >= 0) admin_ = std::make_unique<AdminApi>(*this, svc);
    if (!svc.port_file.empty() && admin_) {
      std::ofstream(svc.port_file.string() + ".tmp") << admin_->port() << "\n";
      std::filesystem::rename(svc.port_file.string() + ".tmp", svc.port_file);
    }
    {
      std::lock_guard lock(gatewayMutex_);
      for (auto& school : schools_) startOrLater(school);
    }
    log->info("markbridge service started (admin API {})",
              admin_ ? "on port " + std::to_string(admin_->port()) : std::string("off"));
    if (many_) {
      log->info("serving {} schools: {}", schools_.size(), urnList(schools()));
    }
    while (!stopping_) {
      if (reloading_) doReload();
      int64_t now = clock_.nowMs() / 1000;
      int64_t wakeAt = now + 3600;
      std::vector<std::vector<SyncSlot>> due(schools_.size());
      for (std::size_t i = 0; i < schools_.size(); ++i) {
        auto& school = schools_[i];
        std::vector<SyncSlot> upcoming;
        std::optional<HealthConcern> concern;
        std::optional<Date> firstDayBack;
        {
          std::lock_guard lock(gatewayMutex_);
          const auto& schedule = school.gateway->config().schedule;
          const auto& calendar = school.gateway->calendar();
          if (!school.started && (now < school.look_again_at || !startOrLater(school))) {
            wakeAt = std::min(wakeAt, school.look_again_at);
            continue;  // its store failed at the start: started again when it can be read
          }
          if (now < school.look_again_at) {
            wakeAt = std::min(wakeAt, school.look_again_at);
          } else if (!syncSlots(schedule, calendar, school.last_at, now).empty()) {
            // Slots are due: another worker may have synced some (a shared PostgreSQL store).
            try {
              school.last_at = std::max(school.last_at, lastSlotSynced(school));
            } catch (const StoreError&) {
              // Unreadable now: the school's next sync says so (and is tried again).
            }
            due[i] = syncSlots(schedule, calendar, school.last_at, now);
          }
          upcoming = syncSlots(schedule, calendar, now, now + 21 * 86400);
          concern = scheduleConcern(schedule, calendar, now);
          firstDayBack = calendar.nextSchoolDay(london::localDate(now));
        }
        if (!upcoming.empty()) wakeAt = std::min(wakeAt, upcoming.front().at);
        std::lock_guard lock(figuresMutex_);
        auto& f = figures_[school.urn];
        LogSchool about(logged(school.urn));
        if (concern && !f.schedule) log->warn("{}: {}", concern->problem, concern->action);
        f.schedule = concern;
        f.next_sync = !upcoming.empty() ? upcoming.front().describe()
                      : firstDayBack    ? "none in the next three weeks: school starts again " +
                                           firstDayBack->iso()
                                     : "none: the calendar has no more school days";
      }
      // Each school's missed or due syncs, one school after another: in the configuration's
      // order, or, where workers share a store, from a school of this worker's own (the others
      // start elsewhere, so at a register close they meet each other's leases rarely); on from
      // halfway through the rest when one is found held by another worker, or by another
      // process on a store of its own (a `markbridge sync` run by hand): walkOnFromHalfway.
      auto order = walkOrder();
      for (std::size_t n = 0; n < order.size() && !stopping_; ++n) {
        const std::size_t i = order[n];
        auto& school = schools_[i];
        LogSchool about(logged(school.urn));
        if (due[i].size() > 1) log->info("catching up on {} missed syncs, in order", due[i].size());
        for (const auto& slot : due[i]) {
          if (stopping_) break;
          bool done = true;
          // A slot failed on its store is not run again, as a failed sync is not: the next
          // covers what it would have done.
          forSchool(
              school, [&] { done = runSlot(school, slot); }, "at its next sync");
          if (!done) {
            // Another worker is syncing the school: look again shortly (done by then, or that
            // worker died and the slot is this one's).
            school.look_again_at = now + kLookAgainSeconds;
            walkOnFromHalfway(order, n);
            break;
          }
          school.last_at = slot.at;
        }
      }
      if (stopping_) break;
      // Items waiting on a backoff, a Retry-After or a paused sink are retried when they fall
      // due (at most once a second per school), not left until the next register closes.
      bool retried = false;
      std::optional<int64_t> soonest;
      for (auto& school : schools_) {
        if (stopping_) break;
        if (!school.started) continue;
        std::optional<int64_t> retryAt;
        forSchool(
            school,
            [&] {
              std::lock_guard lock(gatewayMutex_);
              retryAt = noteNextRetry(school.urn, school.gateway->nextDeliveryDue());
            },
            "at its next retry or sync");
        int64_t nowMs = clock_.nowMs();
        if (retryAt && *retryAt <= nowMs && nowMs >= school.last_retry_ms + 1000) {
          school.last_retry_ms = nowMs;
          forSchool(
              school, [&] { retryWaiting(school); }, "at its next retry or sync");
          retried = true;
        } else if (retryAt) {
          int64_t at = std::max(*retryAt, school.last_retry_ms + 1000);
          soonest = soonest ? std::min(*soonest, at) : at;
        }
      }
      if (retried || stopping_) continue;
      int64_t nowMs = clock_.nowMs();
      // Sleep in steps of a minute at most: the wall clock may jump, a slot may be added.
      int64_t waitMs = std::clamp<int64_t>((wakeAt - now) * 1000, 10, 60'000);
      if (soonest) waitMs = std::min(waitMs, *soonest - nowMs);
      // The connections the syncs let go are kept a few seconds for the next school's sync, then
      // closed here: none stays open to a destination between register closes.
      auto& shelf = ConnectionShelf::ofProcess();
      shelf.closeIdle();
      if (auto closing = shelf.nextClosing())
        waitMs = std::min<int64_t>(waitMs, std::chrono::ceil<std::chrono::milliseconds>(
                                               *closing - ConnectionShelf::Clock::now())
                                               .count());
      waitMs = std::max<int64_t>(waitMs, 10);
      std::unique_lock lock(wakeMutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(waitMs),
                     [this] { return stopping_ || reloading_ || outboxChanged_; });
      outboxChanged_ = false;
    }
  } catch (const StoreError& e) {
    log->error("the service stopped: storage failure: {}", e.what());
    code = kExitStorage;
  } catch (const std::exception& e) {
    log->error("the service stopped: {}", e.what());
    code = kExitConfig;
  }
  {
    // A sync asked for through the admin API runs on the API's thread: wait for it (it stops
    // after the delivery in flight), and start no other, before the API goes away.
    std::lock_guard lock(gatewayMutex_);
    admin_.reset();
  }
  ConnectionShelf::ofProcess().closeAll();  // the connections kept for the next sync
  log->info("markbridge service stopped");
  if (signals.joinable()) {
    stopping_ = true;
    // SIGTERM is blocked in every thread and taken by that thread's sigwait(): it ends the wait,
    // it cannot end the thread.
    if (!signalled)
      pthread_kill(signals.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
    signals.join();
  }
  return code;
}

}  // namespace markbridge
