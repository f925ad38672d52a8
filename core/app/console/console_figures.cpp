#include "core/app/console/console_figures.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "core/app/command_support.h"
#include "core/app/service.h"
#include "core/domain/logging.h"
#include "schedules/london_time.h"

namespace markbridge {

SchoolFigures::~SchoolFigures() {
  stopping_ = true;
  std::thread finishing;
  {
    std::lock_guard lock(mutex_);
    finishing = std::move(worker_);
  }
  if (finishing.joinable()) finishing.join();
}

int64_t SchoolFigures::now() const {
  return service_.clock().nowMs();
}

std::shared_ptr<const SchoolCalendar> SchoolFigures::calendarFor(
    const std::shared_ptr<const GatewayConfig>& config) {
  {
    std::lock_guard lock(mutex_);
    auto have = figures_.find(config->school.urn);
    if (have != figures_.end() && have->second.config == config && have->second.calendar)
      return have->second.calendar;
  }
  return std::make_shared<SchoolCalendar>(SchoolCalendar::load(config->calendar_path));
}

void SchoolFigures::changed(const std::string& urn) {
  std::lock_guard lock(mutex_);
  ++changes_[urn];
}

std::optional<int> SchoolFigures::pupils(const std::string& urn,
                                         const std::shared_ptr<const GatewayConfig>& config) {
  std::lock_guard lock(mutex_);
  auto f = figures_.find(urn);
  if (f == figures_.end() || !f->second.snapshot || f->second.config != config) return std::nullopt;
  return static_cast<int>(f->second.snapshot->rows.size());
}

std::map<std::string, SchoolAbsentees> SchoolFigures::absentees() {
  std::lock_guard lock(mutex_);
  std::map<std::string, SchoolAbsentees> all;
  for (const auto& [urn, f] : figures_) {
    if (!f.snapshot) continue;
    auto& a = all[urn];
    a.built_at_ms = f.snapshot->built_at_ms;
    for (const auto& row : f.snapshot->rows)
      if (row.band != AbsenceBand::None) ++a.persistent;
  }
  return all;
}

// What a school's figures depend on, as far as the service can say without asking the store.
std::string SchoolFigures::version(const std::shared_ptr<const GatewayConfig>& config) {
  const auto& urn = config->school.urn;
  auto f = service_.figures(urn);
  int64_t changed = 0;
  {
    std::lock_guard lock(mutex_);
    if (auto c = changes_.find(urn); c != changes_.end()) changed = c->second;
  }
  return std::to_string(reinterpret_cast<uintptr_t>(config.get())) + "/" +
         std::to_string(f.syncs_ok + f.syncs_failed) + "/" + std::to_string(f.last_sync_at) + "/" +
         std::to_string(f.delivered) + "/" + std::to_string(f.retry_runs) + "/" +
         std::to_string(changed) + "/" + london::localDate(now() / 1000).iso();
}

SchoolFigures::Figures SchoolFigures::build(const std::string& urn) {
  std::lock_guard build(build_);
  Figures next;
  next.config = service_.config(urn);
  if (!next.config) throw std::out_of_range("no school with URN " + urn);
  next.version = version(next.config);
  {
    std::lock_guard lock(mutex_);
    auto have = figures_.find(urn);
    // Built by another request while this one waited for build_: nothing to do again (unless
    // they have grown too old: a change the service cannot see, an import by the CLI).
    if (have != figures_.end() && have->second.snapshot && have->second.version == next.version &&
        now() - have->second.snapshot->built_at_ms <= kMaxAge)
      return have->second;
    if (have != figures_.end() && have->second.config == next.config)
      next.calendar = have->second.calendar;
  }
  if (!next.calendar)
    next.calendar =
        std::make_shared<SchoolCalendar>(SchoolCalendar::load(next.config->calendar_path));
  auto store = service_.openStore(urn);
  next.snapshot = std::make_shared<PupilSnapshot>(buildPupilSnapshot(
      *store, *next.calendar, next.config->rules, london::localDate(now() / 1000), now()));
  namedLogger("console")->debug("pupil figures built for school {}: {} pupils in {:.0f} ms", urn,
                                next.snapshot->rows.size(), next.snapshot->build_ms);
  return next;
}

void SchoolFigures::keep(const std::string& urn, const Figures& built) {
  auto served = service_.schools();
  auto gone = [&](const auto& entry) {
    return std::find(served.begin(), served.end(), entry.first) == served.end();
  };
  std::lock_guard lock(mutex_);
  figures_[urn] = built;
  std::erase_if(figures_, gone);
  std::erase_if(changes_, gone);
}

void SchoolFigures::rebuildInBackground(const std::string& urn) {
  std::lock_guard lock(mutex_);
  if (!rebuilding_.insert(urn).second || workerRunning_) return;
  if (worker_.joinable()) worker_.join();  // finished: it cleared `workerRunning_`
  workerRunning_ = true;
  worker_ = std::thread([this] {
    for (;;) {
      std::string next;
      {
        std::lock_guard lock(mutex_);
        if (rebuilding_.empty() || stopping_) {
          rebuilding_.clear();
          workerRunning_ = false;
          return;
        }
        next = *rebuilding_.begin();
      }
      try {
        keep(next, build(next));
      } catch (const std::exception& error) {
        namedLogger("console")->warn("cannot bring the pupil figures of school {} up to date: {}",
                                     next, error.what());
      }
      std::lock_guard lock(mutex_);
      rebuilding_.erase(next);
    }
  });
}

std::pair<SchoolFigures::Figures, std::string> SchoolFigures::current(const std::string& urn) {
  Figures have;
  {
    std::lock_guard lock(mutex_);
    if (auto f = figures_.find(urn); f != figures_.end()) have = f->second;
  }
  if (!have.snapshot) {
    auto built = build(urn);
    keep(urn, built);
    return {built, ""};
  }
  auto config = service_.config(urn);
  bool stale =
      !config || have.version != version(config) || now() - have.snapshot->built_at_ms > kMaxAge;
  if (!stale) return {have, ""};
  rebuildInBackground(urn);
  return {have, "These figures are from " + londonTime(have.snapshot->built_at_ms / 1000) +
                    " (London); newer ones are being worked out: reload in a moment."};
}

}  // namespace markbridge
