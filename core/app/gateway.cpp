#include "core/app/gateway.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "connectors/common/secret.h"
#include "connectors/outbound/outbound_types.h"
#include "core/app/evaluation.h"
#include "core/app/store_receiver.h"
#include "core/domain/fault_point.h"
#include "core/domain/logging.h"
#include "core/rules/register.h"
#include "core/store/postgres_db.h"
#include "core/store/postgres_store.h"
#include "core/store/sqlite_db.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

std::string storePassword(const GatewayConfig& config) {
  if (config.store_password_env.empty() && config.store_password_file.empty()) return "";
  std::string error;
  auto secret = readSecret(config.store_password_env, config.store_password_file, error);
  if (!secret)
    throw StoreError("cannot connect to " + describePostgresUri(config.store_postgresql) +
                     ": its password: " + error);
  return std::move(*secret);
}

}  // namespace

std::unique_ptr<SyncLeases> syncLeasesFor(const GatewayConfig& config, PgConnectionShare* share) {
  if (config.store_postgresql.empty()) return fileSyncLeases(config.store_path);
  if (share)
    return postgresSyncLeases(share->connection(config.store_postgresql, storePassword(config)),
                              config.school.urn);
  return postgresSyncLeases(config.store_postgresql, config.school.urn, storePassword(config));
}

std::unique_ptr<Store> openConfiguredStore(const GatewayConfig& config, PgConnectionShare* share) {
  if (config.store_postgresql.empty()) return openSqliteStore(config.store_path.string());
  if (share)
    return openPostgresStore(share->connection(config.store_postgresql, storePassword(config)),
                             config.school.urn);
  return openPostgresStore(config.store_postgresql, config.school.urn, storePassword(config));
}

bool SyncReport::inputRejected() const {
  for (const auto& i : imports)
    if (!i.problems.empty()) return true;
  return false;
}

Gateway::Gateway(GatewayConfig config, Store store, Connectors connectors, PgConnectionShare* share)
    : config_(std::move(config)),
      calendar_(SchoolCalendar::load(config_.calendar_path)),
      connectors_(connectors) {
  std::vector<Problem> problems;
  ConfigContext context{config_.file.string(), &problems};
  const bool build = connectors != Connectors::Look;
  for (std::size_t i = 0; i < config_.sources.size(); ++i) {
    const auto& json = config_.sources[i];
    auto type = findInboundType(json.value("type", ""));
    if (!type) continue;  // reported by loadGatewayConfig
    std::string path = config_.json_path + ".sources[" + std::to_string(i) + "]";
    if (!build)
      type->validate(json, path, config_.base_dir, context);
    else if (auto c = type->build(json, path, config_.base_dir, context))
      sources_.push_back(std::move(c));
  }
  for (std::size_t i = 0; i < config_.sinks.size(); ++i) {
    const auto& json = config_.sinks[i];
    auto type = findOutboundType(json.value("type", ""));
    if (!type) continue;
    std::string path = config_.sinks_path + "[" + std::to_string(i) + "]";
    // Looking reads no secret: a token missing from the environment is only a delivery's
    // problem.
    if (connectors != Connectors::Build)
      type->validate(json, path, config_.base_dir, context);
    else if (auto s = type->build(json, path, config_.base_dir, config_.school, context))
      sinks_.push_back(std::move(s));
  }
  if (!problems.empty()) throw ProblemError(problems);
  if (store != Store::Leave) {
    // An empty or non-SQLite store file is refused by every open, never replaced by a new empty
    // store; damage inside it is looked for by `status` and the service's start.
    try {
      if (config_.make_store_folder)
        std::filesystem::create_directories(config_.store_path.parent_path());
      if (store == Store::Verify && config_.store_postgresql.empty())
        verifyStoreFile(config_.store_path.string());
      store_ = openConfiguredStore(config_, share);
      leases_ = syncLeasesFor(config_, share);
    } catch (const std::filesystem::filesystem_error& e) {
      // Making the store's file failed (its folder missing or not a folder, no permission):
      // a storage failure like any other, not a configuration problem.
      throw StoreError("cannot open store " + config_.store_path.string() + ": " +
                       e.code().message());
    }
  }
}

Gateway::~Gateway() = default;

std::vector<std::string> Gateway::sourceNames() const {
  return partNames(config_.sources);
}

std::vector<std::string> Gateway::sinkNames() const {
  return partNames(config_.sinks);
}

void Gateway::requireConnectors(const char* step) const {
  bool built = std::string_view(step) == "import" ? connectors_ != Connectors::Look
                                                  : connectors_ == Connectors::Build;
  if (!built)
    throw std::logic_error(std::string("a gateway opened without its ") +
                           (std::string_view(step) == "import" ? "sources" : "sinks") + " cannot " +
                           step);
}

InboundConnector* Gateway::source(const std::string& name) {
  for (auto& s : sources_)
    if (s->name() == name) return s.get();
  return nullptr;
}

std::vector<ImportResult> Gateway::importFiles(InboundConnector& source,
                                               const std::vector<std::filesystem::path>& files) {
  requireConnectors("import");
  std::vector<ImportResult> results;
  StoreReceiver receiver(*store_, calendar_, clock_->nowMs() / 1000,
                         [&](ImportResult&& r) { results.push_back(std::move(r)); });
  for (const auto& file : files) source.read(file, receiver);
  return results;
}

std::vector<ImportResult> Gateway::importSources() {
  requireConnectors("import");
  std::vector<ImportResult> results;
  StoreReceiver receiver(*store_, calendar_, clock_->nowMs() / 1000,
                         [&](ImportResult&& r) { results.push_back(std::move(r)); });
  for (auto& source : sources_) source->pull(receiver);
  return results;
}

EvaluationOutcome Gateway::evaluate(int* pupilsEvaluated) {
  requireConnectors("evaluate");
  std::vector<SinkRoute> routes;
  for (const auto& sink : sinks_) routes.push_back(SinkRoute{sink->name(), sink->eventTypes()});
  // Rules look at school days up to today (London's: a sync at 00:30 BST is on the new day):
  // later days have no registers yet.
  Date today = london::localDate(clock_->nowMs() / 1000);
  auto run = evaluateRegisters(*store_, calendar_, config_.rules, routes, today, clock_->nowMs(),
                               true, rollSourcesOf(config_.rules, config_.sources));
  if (pupilsEvaluated) *pupilsEvaluated = run.pupils;
  faultPoint("after-evaluate");
  return run.outcome;
}

namespace {
constexpr const char* kResumed = "_sinks_resumed";  // sink -> when it was resumed (unix ms)
}  // namespace

int Gateway::resumeSink(const std::string& sink, int64_t nowMs) {
  int due = store_->retrySinkPending(sink, nowMs);
  store_->setSourceState(kResumed, sink, std::to_string(nowMs), nowMs);
  circuits_.erase(sink);
  paces_.erase(sink);
  resumedAt_[sink] = nowMs;
  return due;
}

void Gateway::applyResumes() {
  for (const auto& sink : sinks_) {
    auto stored = store_->sourceState(kResumed, sink->name());
    if (!stored) continue;
    int64_t at = std::strtoll(stored->c_str(), nullptr, 10);
    auto& seen = resumedAt_[sink->name()];
    if (at <= seen) continue;
    seen = at;
    circuits_.erase(sink->name());  // resumed by hand (`outbox retry --sink`): not paused now
    paces_.erase(sink->name());
  }
}

DeliveryReport Gateway::deliver(
    const std::function<void(const OutboxItem&, const DeliveryResult&)>& onAttempt,
    const std::function<bool()>& shouldStop) {
  requireConnectors("deliver");
  applyResumes();
  std::map<std::string, Sink*> sinks;
  for (auto& sink : sinks_) sinks[sink->name()] = sink.get();
  // The connections the run keeps alive are let go when it ends, however it ends (to the next
  // school's sync, or closed: Sink::closeConnections): between syncs a trust's schools would
  // otherwise hold hundreds open to one LA portal.
  struct Closing {
    std::vector<std::unique_ptr<Sink>>& sinks;
    ~Closing() {
      for (auto& sink : sinks) sink->closeConnections();
    }
  } closing{sinks_};
  DeliveryWorker worker(*store_, sinks, *clock_, *random_, config_.delivery, circuits_);
  worker.on_attempt = onAttempt;
  worker.should_stop = shouldStop;
  worker.kept_paces = &paces_;
  worker.key_scope = config_.key_scope;
  return worker.run();
}

namespace {
// A delivery run under `lease` stops at a graceful shutdown, and as soon as the lease is seen to
// be lost: then another worker may hold the school and claim its items, so nothing more is sent
// from here. The answers already under way are recorded once the store's connection is made
// again (if the server is still down, that fails as any statement would: those items are sent
// again later under their Idempotency-Key). A lease that cannot be lost (SQLite's lock file)
// leaves the stop as it was.
std::function<bool()> stopWhen(const std::function<bool()>& shouldStop, SyncLease& lease) {
  if (!lease.canBeLost()) return shouldStop;
  return [&shouldStop, &lease] { return (shouldStop && shouldStop()) || lease.lost(); };
}
}  // namespace

SyncReport Gateway::sync(const SyncObserver& observer, std::optional<Date> reconcileFrom) {
  SyncReport report;
  auto lease = leases_->tryTake(observer.what);
  if (!lease) {
    report.skipped = true;
    namedLogger("sync")->warn("another sync of this school is running: this one is skipped");
    return report;
  }
  if (observer.still_due && !observer.still_due()) {
    report.skipped = report.already_done = true;
    return report;
  }
  if (reconcileFrom)
    for (auto& source : sources_) source->rewind(*reconcileFrom);
  report.imports = importSources();
  if (observer.imported)
    for (const auto& i : report.imports) observer.imported(i);
  lease->confirm();
  report.evaluation = evaluate(&report.pupils_evaluated);
  if (observer.evaluated) observer.evaluated(report.evaluation, report.pupils_evaluated);
  lease->confirm();
  report.delivery = deliver(observer.attempted, stopWhen(observer.should_stop, *lease));
  lease->confirm();
  if (observer.finished) observer.finished();
  return report;
}

SyncReport Gateway::preview() {
  requireConnectors("evaluate");
  SyncReport report;
  {
    StoreReceiver receiver(*store_, calendar_, clock_->nowMs() / 1000,
                           [&](ImportResult&& r) { report.imports.push_back(std::move(r)); });
    receiver.previewOnly();
    for (auto& source : sources_) source->pull(receiver);
  }
  report.evaluation = evaluate(&report.pupils_evaluated);
  return report;
}

SyncReport Gateway::deliverWaiting(const SyncObserver& observer) {
  SyncReport report;
  auto lease = leases_->tryTake("deliver waiting items");
  if (!lease) {
    report.skipped = true;
    return report;
  }
  report.delivery = deliver(observer.attempted, stopWhen(observer.should_stop, *lease));
  // Between registers there is no slot to run again: what was sent is counted as usual, and
  // whichever worker holds the school next delivers the rest.
  if (lease->lost())
    namedLogger("sync")->warn(
        "the school's sync lease was lost with its store connection while it delivered waiting "
        "items: nothing more was sent from here; the rest go with whichever worker holds the "
        "school next");
  return report;
}

std::optional<int64_t> Gateway::nextDeliveryDue() {
  return store_->nextOutboxDue();
}

}  // namespace markbridge
