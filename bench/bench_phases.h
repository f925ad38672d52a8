#pragma once
// The measured phases of `markbridge-bench ingest`, each through the real connector code.

#include <cstdint>
#include <filesystem>

#include "core/domain/date.h"
#include "core/store/store.h"
#include "schedules/school_calendar.h"

namespace markbridge::bench {

struct PhaseResult {
  int64_t marks = 0;
  int64_t problems = 0;
  bool failed = false;
};

// The benchmarks' calendar: every weekday from 1 September 2024 to 31 August 2025 a school day.
SchoolCalendar benchCalendar();
// SIMS long CSV -> canonical marks, discarded as they come (parse + normalise only).
PhaseResult parseCsv(const std::filesystem::path& csv);
// SIMS long CSV -> the SQLite register, in one import transaction.
PhaseResult storeCsv(const std::filesystem::path& csv, const std::filesystem::path& db);
// The same into a PostgreSQL store (`uri`, its search_path naming the schema to use).
PhaseResult storeCsvPostgres(const std::filesystem::path& csv, const std::string& uri);
// Makes (or drops) the schema `name` at `uri`; the URI whose tables are in it.
std::string benchSchema(const std::string& uri, const std::string& name);
void dropBenchSchema(const std::string& uri, const std::string& name);
// Every pupil's register read from the store and the statutory policy evaluated for each; `marks`
// counts the events found, `problems` the pupils.
PhaseResult evaluateStatutory(const std::filesystem::path& db);
// The statutory policy over the stored register through `today`, as a sync runs it: each pupil
// resumed from their checkpoint where possible, events and outbox rows committed. `marks`
// counts new events, `problems` the pupils resumed.
PhaseResult syncEvaluation(Store& store, Date today, bool resume = true);
// `markbridge backtest` of the statutory policy over the whole stored year, sending nothing.
PhaseResult backtestYear(Store& store, Date through);
// SIMS long CSV -> an open store, as a sync imports it.
PhaseResult importCsv(Store& store, const std::filesystem::path& csv);
// CTF XML -> canonical marks, discarded as they come.
PhaseResult parseCtf(const std::filesystem::path& ctf);

}  // namespace markbridge::bench
