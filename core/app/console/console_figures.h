#pragma once
// Each school's pupils-at-risk figures (pupil_figures.h) for the console's pupil pages, weekly
// report, backtest and trust view. A school's figures are built once, then rebuilt in the
// background when a sync, a delivery run, a retry or discard in the console, a reload or a new
// day may have changed them (or after kMaxAge, for changes made by the CLI), the old ones served
// meanwhile. One worker brings them up to date, one school after another (a build is one core's
// work on one store). A school's figures are only ever built from, and kept under, its own URN;
// at most one set is kept for each school served (a school removed by a reload is dropped).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "core/app/console/console_schools.h"
#include "core/app/console/pupil_figures.h"
#include "core/app/gateway_config.h"
#include "schedules/school_calendar.h"

namespace markbridge {

class Service;

class SchoolFigures {
 public:
  struct Figures {
    std::shared_ptr<const GatewayConfig> config;
    std::shared_ptr<const SchoolCalendar> calendar;
    std::shared_ptr<const PupilSnapshot> snapshot;
    std::string version;  // what the snapshot was built from
  };
  static constexpr int64_t kMaxAge = 10 * 60 * 1000;

  explicit SchoolFigures(Service& service) : service_(service) {}
  ~SchoolFigures();  // the worker finishes the school it is building, and builds no more
  SchoolFigures(const SchoolFigures&) = delete;
  SchoolFigures& operator=(const SchoolFigures&) = delete;

  // A school's figures to serve (its URN), and a note when they are being brought up to date.
  // Throws when they cannot be built at all (the store or the calendar cannot be read).
  std::pair<Figures, std::string> current(const std::string& urn);
  // The configuration's calendar, read once per configuration (shared with the figures).
  std::shared_ptr<const SchoolCalendar> calendarFor(
      const std::shared_ptr<const GatewayConfig>& config);
  // A retry or discard in the console changed a school's outbox.
  void changed(const std::string& urn);
  // How many pupils a school's figures hold, when they were built from `config`.
  std::optional<int> pupils(const std::string& urn,
                            const std::shared_ptr<const GatewayConfig>& config);
  // Each school's persistent absentees as its figures last said (the schools with figures).
  std::map<std::string, SchoolAbsentees> absentees();

 private:
  int64_t now() const;
  std::string version(const std::shared_ptr<const GatewayConfig>& config);
  Figures build(const std::string& urn);
  void keep(const std::string& urn, const Figures& built);
  void rebuildInBackground(const std::string& urn);

  Service& service_;
  std::mutex mutex_;                        // the members below but build_
  std::mutex build_;                        // one build at a time (of any school)
  std::map<std::string, Figures> figures_;  // by URN
  std::set<std::string> rebuilding_;        // the schools the worker is to bring up to date
  bool workerRunning_ = false;
  std::thread worker_;
  std::map<std::string, int64_t> changes_;  // retries and discards made in the console, by URN
  std::atomic<bool> stopping_{false};
};

}  // namespace markbridge
