#include "core/store/postgres_checkpoints.h"

#include <spdlog/spdlog.h>

#include <map>
#include <string_view>

#include "core/domain/logging.h"
#include "core/domain/upn.h"
#include "core/store/packed_entries.h"

namespace markbridge {
namespace {

void unreadable(const std::string& school, std::string_view first) {
  namedLogger("store")->warn(
      "school {}: a row of the evaluation checkpoints (from UPN {}) could not be read; its "
      "pupils are evaluated from the start of the calendar, and their checkpoints kept again",
      school, maskUpn(std::string(first)));
}

}  // namespace

std::unordered_map<std::string, std::string> readCheckpoints(PgConnection& db,
                                                             const std::string& school) {
  std::unordered_map<std::string, std::string> out;
  PgStatement rows(db, "SELECT first_upn, pupils FROM evaluation_checkpoints WHERE school=$1",
                   "read the evaluation checkpoints");
  rows.bind(1, school);
  std::vector<PackedEntry> entries;
  while (rows.step()) {
    entries.clear();
    if (!unpackEntries(rows.blob(1), entries)) unreadable(school, rows.textView(0));
    for (const auto& e : entries) out.insert_or_assign(std::string(e.key), std::string(e.value));
  }
  return out;
}

void writeCheckpoints(PgConnection& db, const std::string& school,
                      const std::vector<std::pair<std::string_view, std::string_view>>& checkpoints,
                      std::size_t rowBytes) {
  PgStatement write(db,
                    "INSERT INTO evaluation_checkpoints(school, first_upn, pupils) "
                    "VALUES($1,$2,$3)",
                    "keep the evaluation checkpoints");
  std::string_view first;
  std::string row;
  auto flush = [&] {
    write.bind(1, school).bind(2, first).bindBlob(3, row).run();
    row.clear();
  };
  for (const auto& [upn, checkpoint] : checkpoints) {
    if (row.empty()) first = upn;
    packEntry(row, upn, checkpoint);
    if (row.size() >= rowBytes) flush();
  }
  if (!row.empty()) flush();
}

void keepCheckpoints(PgConnection& db, const std::string& school,
                     const std::vector<PupilEvaluated>& pupils, std::size_t rowBytes) {
  if (pupils.empty()) return;
  std::map<std::string_view, std::string_view> changes;  // by UPN, the last given for each
  for (const auto& p : pupils) changes.insert_or_assign(p.upn, p.checkpoint);
  // The rows the pupils fall among: from the one whose UPNs the first falls in (the last row
  // starting at or before it; none: from the first row) to the last starting at or before the
  // last pupil.
  PgStatement read(db,
                   "SELECT first_upn, pupils FROM evaluation_checkpoints WHERE school=$1 AND "
                   "first_upn<=$3 AND first_upn>=COALESCE((SELECT max(first_upn) FROM "
                   "evaluation_checkpoints WHERE school=$1 AND first_upn<=$2), '') ORDER BY "
                   "first_upn",
                   "read the checkpoints of the pupils evaluated");
  read.bind(1, school).bind(2, changes.begin()->first).bind(3, changes.rbegin()->first);
  std::map<std::string_view, std::string_view> kept;  // those rows' checkpoints, then changed
  std::vector<PackedEntry> entries;
  bool any = false;
  std::string firstRead, lastRead;
  while (read.step()) {
    if (!any) firstRead = read.text(0);
    any = true;
    lastRead = read.text(0);
    entries.clear();
    if (!unpackEntries(read.blob(1), entries)) unreadable(school, read.textView(0));
    for (const auto& e : entries) kept.insert_or_assign(e.key, e.value);
  }
  for (const auto& [upn, checkpoint] : changes) {
    if (checkpoint.empty())
      kept.erase(upn);
    else
      kept.insert_or_assign(upn, checkpoint);
  }
  if (any) {
    PgStatement drop(db,
                     "DELETE FROM evaluation_checkpoints WHERE school=$1 AND first_upn>=$2 AND "
                     "first_upn<=$3",
                     "write the checkpoints of the pupils evaluated again");
    drop.bind(1, school).bind(2, firstRead).bind(3, lastRead).run();
  }
  writeCheckpoints(db, school, {kept.begin(), kept.end()}, rowBytes);
}

}  // namespace markbridge
