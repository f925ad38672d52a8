#include "bench/bench_phases.h"

#include <nlohmann/json.hpp>

#include "connectors/inbound/inbound_connector.h"
#include "core/app/backtest.h"
#include "core/app/evaluation.h"
#include "core/app/store_receiver.h"
#include "core/rules/rule_set.h"
#include "core/store/postgres_db.h"
#include "core/store/postgres_store.h"

namespace markbridge::bench {
namespace {

// Counts and drops what a connector yields.
class Counter : public ImportReceiver {
 public:
  void part(ImportBatch& batch) override {
    result.marks += static_cast<int64_t>(batch.marks.size());
  }
  void finish(ImportBatch&& batch) override {
    result.marks += static_cast<int64_t>(batch.marks.size());
    result.problems += static_cast<int64_t>(batch.problems.size());
  }
  PhaseResult result;
};

std::unique_ptr<InboundConnector> connector(const std::string& type) {
  std::vector<Problem> problems;
  auto json = nlohmann::json{{"name", "bench"}, {"type", type}};
  auto built = findInboundType(type)->build(json, "$", ".", ConfigContext{"bench", &problems});
  if (!built) throw ProblemError(problems);
  return built;
}

PhaseResult count(const std::string& type, const std::filesystem::path& file) {
  Counter counter;
  connector(type)->read(file, counter);
  return counter.result;
}

}  // namespace

PhaseResult parseCsv(const std::filesystem::path& csv) {
  return count("sims_csv", csv);
}

PhaseResult parseCtf(const std::filesystem::path& ctf) {
  return count("ctf_xml", ctf);
}

// Every weekday of the year is a school day, so no mark is set aside as off-calendar.
SchoolCalendar benchCalendar() {
  return SchoolCalendar::fromJson(
      nlohmann::json{
          {"terms", {{{"name", "year"}, {"start", "2024-09-01"}, {"end", "2025-08-31"}}}}},
      "bench");
}

PhaseResult evaluateStatutory(const std::filesystem::path& db) {
  auto store = openSqliteStore(db.string());
  auto calendar = benchCalendar();
  const auto& policy = RuleSet::statutory();
  PhaseResult result;
  store->forEachPupilRegister(calendar, [&](const Pupil& pupil, const PupilRegister& reg) {
    result.marks += static_cast<int64_t>(policy.evaluate(pupil, reg).size());
    ++result.problems;
  });
  return result;
}

PhaseResult syncEvaluation(Store& store, Date today, bool resume) {
  auto calendar = benchCalendar();
  std::vector<Problem> problems;
  auto rules = RuleSet::fromJson(nlohmann::json::object(), "$.rules", ".",
                                 ConfigContext{"bench", &problems});
  std::vector<SinkRoute> routes = {
      {"la", {"unauthorised_10_day", "sickness_15_day", "penalty_threshold", "update"}},
      {"cpoms", {"concern", "task", "note"}}};
  auto run = evaluateRegisters(store, calendar, rules, routes, today, 1, resume);
  return PhaseResult{run.outcome.new_events, run.resumed, run.pupils == 0};
}

PhaseResult backtestYear(Store& store, Date through) {
  auto calendar = benchCalendar();
  std::vector<Problem> problems;
  auto rules = RuleSet::fromJson(nlohmann::json::object(), "$.rules", ".",
                                 ConfigContext{"bench", &problems});
  auto result = backtest(store, calendar, rules, calendar.first(), through, {});
  return PhaseResult{result.events(), 0, result.pupils_evaluated == 0};
}

PhaseResult importCsv(Store& store, const std::filesystem::path& csv) {
  auto calendar = benchCalendar();
  PhaseResult result;
  StoreReceiver receiver(store, calendar, 1, [&](ImportResult&& r) {
    result.problems = static_cast<int64_t>(r.problems.size());
    result.marks = r.outcome.marks_added + r.outcome.marks_amended + r.outcome.marks_unchanged;
  });
  connector("sims_csv")->read(csv, receiver);
  return result;
}

PhaseResult storeCsvPostgres(const std::filesystem::path& csv, const std::string& uri) {
  auto store = openPostgresStore(uri, "bench");
  return importCsv(*store, csv);
}

std::string benchSchema(const std::string& uri, const std::string& name) {
  PgConnection db(uri);
  db.exec("CREATE SCHEMA " + name, "make the benchmark's schema");
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + name;
}

void dropBenchSchema(const std::string& uri, const std::string& name) {
  PgConnection db(uri);
  db.exec("DROP SCHEMA IF EXISTS " + name + " CASCADE", "drop the benchmark's schema");
}

PhaseResult storeCsv(const std::filesystem::path& csv, const std::filesystem::path& db) {
  auto store = openSqliteStore(db.string());
  return importCsv(*store, csv);
}

}  // namespace markbridge::bench
