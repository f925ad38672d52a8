#include "core/app/service.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include "core/app/admin_api.h"
#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/domain/logging.h"
#include "core/store/sqlite_db.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

constexpr const char* kState = "_service";
constexpr const char* kLastSlot = "last_slot_at";

std::unique_ptr<Gateway> openConfigured(const std::filesystem::path& file) {
  std::vector<Problem> problems;
  auto config = loadGatewayConfig(file, problems);
  if (!problems.empty()) throw ProblemError(problems);
  return std::make_unique<Gateway>(std::move(config), Gateway::Store::Verify);
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

Service::Service(std::filesystem::path configFile, Clock& clock)
    : configFile_(std::move(configFile)), clock_(clock) {
  gateway_ = openConfigured(configFile_);
  config_ = std::make_shared<const GatewayConfig>(gateway_->config());
  const auto& svc = gateway_->config().service;
  configureLogging(gateway_->config().log_level, svc.log_file.string());
}

Service::~Service() = default;

std::filesystem::path Service::storePath() const {
  std::lock_guard lock(gatewayMutex_);
  return gateway_->config().store_path;
}

std::unique_ptr<Store> Service::openStore() const {
  GatewayConfig store;  // the store's settings only
  {
    auto running = config();  // not the gateway's lock: a sync holds it while it runs
    const auto& config = *running;
    store.school = config.school;
    store.store_path = config.store_path;
    store.store_postgresql = config.store_postgresql;
    store.store_password_env = config.store_password_env;
    store.store_password_file = config.store_password_file;
  }
  return openConfiguredStore(store);
}

std::shared_ptr<const GatewayConfig> Service::config() const {
  std::lock_guard lock(configMutex_);
  return config_;
}

void Service::outboxChanged() {
  {
    std::lock_guard wakeLock(wakeMutex_);
    outboxChanged_ = true;
  }
  wake_.notify_all();
}

uint16_t Service::adminPort() const {
  return admin_ ? admin_->port() : 0;
}

ServiceFigures Service::figures() const {
  std::lock_guard lock(figuresMutex_);
  return figures_;
}

std::vector<HealthConcern> Service::concerns() const {
  std::lock_guard lock(figuresMutex_);
  return healthConcerns(
      {figures_.schedule, figures_.syncs_failed_in_a_row, figures_.last_sync, figures_.sinks});
}

void Service::stop() {
  stopping_ = true;
  wake_.notify_all();
}

void Service::reload() {
  reloading_ = true;
  wake_.notify_all();
}

void Service::doReload() {
  reloading_ = false;
  auto log = namedLogger("service");
  try {
    auto fresh = openConfigured(configFile_);
    std::lock_guard lock(gatewayMutex_);
    gateway_ = std::move(fresh);
    {
      std::lock_guard configLock(configMutex_);
      config_ = std::make_shared<const GatewayConfig>(gateway_->config());
    }
    log->info("configuration reloaded from {}", configFile_.string());
    // A reload is how a fixed token or certificate is taken up: a sink paused for its
    // credentials is resumed now, its waiting items due at once.
    for (const auto& [sink, health] : figures().sinks)
      if (health.state == SinkState::PausedCredentials)
        log->info("sink {} resumed after the reload: {} pending item(s) due now", sink,
                  gateway_->resumeSink(sink, clock_.nowMs()));
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

SyncReport Service::syncLocked(const std::string& why, std::optional<Date> reconcileFrom) {
  Working working(working_);
  auto log = namedLogger("service");
  int64_t now = clock_.nowMs() / 1000;
  std::map<std::string, std::pair<int64_t, int64_t>> before;  // sink -> retries, failures
  for (const auto& s : gateway_->sinks())
    before[s->name()] = {s->counters().retries, s->counters().failures};
  SinkHealthTracker sinkHealth(figures().sinks);
  auto observer = watching(sinkHealth);
  SyncReport report;
  bool failed = false;
  std::map<std::string, SinkHealth> sinks;
  try {
    report = gateway_->sync(observer, reconcileFrom);
    if (!report.skipped) sinks = recordSinkHealth(*gateway_, sinkHealth, clock_.nowMs());
  } catch (const std::exception& e) {
    failed = true;
    log->error("{}: sync failed: {}", why, e.what());
  }
  std::lock_guard lock(figuresMutex_);
  auto remember = [&] {
    auto& recent = figures_.recent_syncs;
    recent.insert(recent.begin(), londonTime(now) + ": " + figures_.last_sync);
    if (recent.size() > ServiceFigures::kRecentSyncs) recent.resize(ServiceFigures::kRecentSyncs);
  };
  if (report.skipped) {
    ++figures_.syncs_skipped;
    figures_.last_sync = why + ": skipped, another sync was running";
    remember();
    return report;
  }
  failed ? ++figures_.syncs_failed : ++figures_.syncs_ok;
  figures_.syncs_failed_in_a_row = failed ? figures_.syncs_failed_in_a_row + 1 : 0;
  figures_.last_sync_at = now;
  if (failed) {
    figures_.last_sync = why + ": failed";
    remember();
    return report;
  }
  std::map<std::string, SourceFigures> read;
  for (const auto& i : report.imports) {
    auto& f = read[i.source];
    f.at = now;
    ++f.inputs;
    f.rows += i.rows;
    if (!i.problems.empty()) {
      ++f.refused;
      f.problems += static_cast<int>(i.problems.size());
    }
  }
  for (auto& [source, f] : read) figures_.sources[source] = f;
  figures_.sinks = sinks;
  std::map<std::string, bool> sourceOk;
  for (const auto& i : report.imports) {
    figures_.marks_imported += i.outcome.marks_added + i.outcome.marks_amended;
    sourceOk[i.source] =
        sourceOk.count(i.source) ? sourceOk[i.source] && i.problems.empty() : i.problems.empty();
  }
  for (const auto& s : gateway_->sources())
    if (!sourceOk.count(s->name()) || sourceOk[s->name()]) figures_.last_success[s->name()] = now;
  for (const auto& s : gateway_->sinks()) {
    auto [retries, failures] = before[s->name()];
    if (s->counters().retries == retries && s->counters().failures == failures)
      figures_.last_success[s->name()] = now;
  }
  figures_.rule_firings += report.evaluation.new_events;
  figures_.delivered += report.delivery.delivered;
  figures_.last_sync = why + ": " + std::to_string(report.evaluation.new_events) + " new events, " +
                       std::to_string(report.delivery.delivered) + " delivered, " +
                       std::to_string(report.delivery.pending_left) + " pending";
  remember();
  log->info("{}", figures_.last_sync);
  return report;
}

std::optional<SyncReport> Service::syncNow(const std::string& why, bool& busy) {
  busy = working_;
  if (busy) return std::nullopt;
  std::unique_lock lock(gatewayMutex_);  // a glance by the main loop, or a run that just began
  auto report = syncLocked(why, std::nullopt);
  // The main loop looks again at when the items this sync left waiting fall due. (Under the
  // gateway's lock: the service's stop holds it while it waits for this thread.)
  noteNextRetry(gateway_->nextDeliveryDue());
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

void Service::retryWaiting() {
  std::lock_guard lock(gatewayMutex_);
  Working working(working_);
  auto log = namedLogger("service");
  SinkHealthTracker sinkHealth(figures().sinks);
  auto observer = watching(sinkHealth);
  SyncReport report;
  std::map<std::string, SinkHealth> sinks;
  try {
    report = gateway_->deliverWaiting(observer);
    if (report.skipped) return;  // a sync (another process's) is delivering them
    sinks = recordSinkHealth(*gateway_, sinkHealth, clock_.nowMs());
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
  figures_.sinks = std::move(sinks);
  ++figures_.retry_runs;
  figures_.delivered += d.delivered;
  figures_.delivered_between_registers += d.delivered;
}

std::optional<int64_t> Service::noteNextRetry(std::optional<int64_t> due) {
  std::lock_guard lock(figuresMutex_);
  figures_.next_retry_at_ms = due.value_or(0);
  figures_.next_retry =
      due ? "waiting outbox items are next tried at " + londonTime(*due / 1000) : "";
  return due;
}

void Service::runSlot(const SyncSlot& slot) {
  std::lock_guard lock(gatewayMutex_);
  std::optional<Date> reconcileFrom;
  if (slot.kind == SyncSlot::Kind::Nightly) {
    const auto& days = gateway_->calendar().index().days;
    auto at = std::upper_bound(days.begin(), days.end(), slot.day) - days.begin() - 1;
    auto back =
        std::max<std::ptrdiff_t>(0, at - gateway_->config().schedule.reconcile_school_days + 1);
    if (at >= 0) reconcileFrom = days[static_cast<std::size_t>(back)];
  }
  syncLocked(slot.describe(), reconcileFrom);
  gateway_->store().setSourceState(kState, kLastSlot, std::to_string(slot.at), clock_.nowMs());
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
    const auto& svc = gateway_->config().service;
    if (svc.admin_port >= 0) admin_ = std::make_unique<AdminApi>(*this, svc);
    if (!svc.port_file.empty() && admin_) {
      std::ofstream(svc.port_file.string() + ".tmp") << admin_->port() << "\n";
      std::filesystem::rename(svc.port_file.string() + ".tmp", svc.port_file);
    }
    int64_t lastAt = 0;
    int64_t lastRetryMs = 0;  // the last delivery-only run between registers
    {
      std::lock_guard lock(gatewayMutex_);
      {
        auto sinks = loadSinkHealth(*gateway_);
        std::lock_guard figuresLock(figuresMutex_);
        figures_.sinks = std::move(sinks);
      }
      for (const auto& warning :
           calendarWarnings(gateway_->calendar(), london::localDate(clock_.nowMs() / 1000)))
        log->warn("{}", warning);
      auto stored = gateway_->store().sourceState(kState, kLastSlot);
      // The first start catches up on nothing; later starts on every close since the last.
      lastAt = stored ? std::stoll(*stored) : clock_.nowMs() / 1000;
      if (!stored)
        gateway_->store().setSourceState(kState, kLastSlot, std::to_string(lastAt), clock_.nowMs());
    }
    log->info("markbridge service started (admin API {})",
              admin_ ? "on port " + std::to_string(admin_->port()) : std::string("off"));
    while (!stopping_) {
      if (reloading_) doReload();
      int64_t now = clock_.nowMs() / 1000;
      std::vector<SyncSlot> due, upcoming;
      ScheduleConfig schedule;
      std::optional<HealthConcern> concern;
      std::optional<Date> firstDayBack;
      {
        std::lock_guard lock(gatewayMutex_);
        schedule = gateway_->config().schedule;
        due = syncSlots(schedule, gateway_->calendar(), lastAt, now);
        upcoming = syncSlots(schedule, gateway_->calendar(), now, now + 21 * 86400);
        concern = scheduleConcern(schedule, gateway_->calendar(), now);
        firstDayBack = gateway_->calendar().nextSchoolDay(london::localDate(now));
      }
      {
        std::lock_guard lock(figuresMutex_);
        if (concern && !figures_.schedule) log->warn("{}: {}", concern->problem, concern->action);
        figures_.schedule = concern;
      }
      if (due.size() > 1) log->info("catching up on {} missed syncs, in order", due.size());
      for (const auto& slot : due) {
        if (stopping_) break;
        runSlot(slot);
        lastAt = slot.at;
      }
      if (stopping_) break;
      // Items waiting on a backoff, a Retry-After or a paused sink are retried when they fall
      // due (at most once a second), not left until the next register closes.
      std::optional<int64_t> retryAt;
      {
        std::lock_guard lock(gatewayMutex_);
        retryAt = noteNextRetry(gateway_->nextDeliveryDue());
      }
      int64_t nowMs = clock_.nowMs();
      if (retryAt && *retryAt <= nowMs && nowMs >= lastRetryMs + 1000) {
        lastRetryMs = nowMs;
        retryWaiting();
        continue;
      }
      int64_t wakeAt = upcoming.empty() ? now + 3600 : upcoming.front().at;
      {
        std::lock_guard lock(figuresMutex_);
        figures_.next_sync = !upcoming.empty() ? upcoming.front().describe()
                             : firstDayBack ? "none in the next three weeks: school starts again " +
                                                  firstDayBack->iso()
                                            : "none: the calendar has no more school days";
      }
      // Sleep in steps of a minute at most: the wall clock may jump, a slot may be added.
      int64_t waitMs = std::clamp<int64_t>((wakeAt - now) * 1000, 10, 60'000);
      if (retryAt) waitMs = std::min(waitMs, std::max(*retryAt, lastRetryMs + 1000) - nowMs);
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
