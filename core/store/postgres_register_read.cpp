#include "core/store/postgres_register_read.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "core/domain/logging.h"
#include "core/store/packed_entries.h"
#include "core/store/postgres_import.h"
#include "core/store/register_week.h"

namespace markbridge {
namespace {

constexpr int32_t kWeekDays = 7;
constexpr std::size_t kWeekBytes = RegisterWeek::kSlots;  // a week's codes

// The kept year is made again once it is this far behind the latest week written: at the first
// read of each new week, so a read reads the rows of that week alone (and of any earlier week
// changed since).
constexpr int32_t kKeptYearLag = kWeekDays;

// A change to the kept year's last week (last week's marks amended on a Monday, or this week's
// written while marks are pre-entered for next week) is read from its rows, a week more, until
// the next new week; a change further back makes the kept year again.
constexpr int32_t kChangeReadFromRows = kWeekDays;

std::size_t offsetOf(int32_t week, int32_t from) {
  return static_cast<std::size_t>((week - from) / kWeekDays) * kWeekBytes;
}

}  // namespace

KeptYearRead::KeptYearRead(PgConnection& db, const std::string& school,
                           const SchoolCalendar& calendar, std::size_t rowBytes)
    : db_(db),
      school_(school),
      rowBytes_(rowBytes),
      first_(calendar.first().monday().days()),
      weeks_(db,
             "SELECT w.upn, d.week, w.codes FROM generate_series($2::integer, $3::integer, 7) AS "
             "d(week) CROSS JOIN LATERAL (SELECT upn, codes FROM register_weeks WHERE school=$1 "
             "AND week=d.week ORDER BY upn OFFSET 0) AS w",
             "read the register") {
  readFrom_ = first_;
  PgStatement changes(db_,
                      "SELECT changed_from, latest, version, kept_from, kept_to FROM "
                      "register_changes WHERE school=$1",
                      "read where the register changed since its year was kept");
  changes.bind(1, school_);
  if (changes.step()) {
    version_ = changes.integer(2);
    const int32_t latest = static_cast<int32_t>(changes.integer(1));
    const bool kept = !changes.isNull(3) && !changes.isNull(4);
    const auto keptTo = kept ? static_cast<int32_t>(changes.integer(4)) : first_;
    keptFrom_ = kept ? static_cast<int32_t>(changes.integer(3)) : first_;
    // Usable when it starts on or before the calendar (a calendar starting earlier needs weeks
    // it does not hold).
    const bool usable = kept && keptFrom_ <= first_ && (first_ - keptFrom_) % kWeekDays == 0;
    const bool changed = !changes.isNull(0);
    const auto changedFrom = changed ? static_cast<int32_t>(changes.integer(0)) : keptTo;
    if (usable) readFrom_ = std::max(first_, std::min(changedFrom, keptTo));
    useKept_ = usable && readFrom_ > first_;
    keepTo_ = std::min(latest, calendar.last().monday().days());
    making_ = keepTo_ > first_;
    due_ = !usable || (changed && changedFrom < keptTo - kChangeReadFromRows) ||
           keepTo_ >= keptTo + kKeptYearLag;
  }
  weeks_.bind(1, school_).bind(2, int64_t{readFrom_}).bind(3, int64_t{calendar.last().days()});
  // Week by week, each week's rows by pupil: each week is read in the key's order (no sort, and
  // no plan the statistics could choose instead that sorts), and checked to be.
  int64_t week = 0;
  std::string_view upn;
  for (int row = 0; weeks_.step(); ++row) {
    if (weekRows_.empty() || weeks_.integer(1) != week) {
      if (!weekRows_.empty() && weeks_.integer(1) < week) outOfOrder();
      week = weeks_.integer(1);
      if (!weekRows_.empty()) weekRows_.back().end = row;
      weekRows_.push_back(WeekRows{row, weeks_.rows()});
    } else if (weeks_.textView(0) <= upn) {
      outOfOrder();
    }
    upn = weeks_.textView(0);
  }
  if (!useKept_) return;
  kept_.emplace(db_, "SELECT pupils FROM register_years WHERE school=$1 ORDER BY part",
                "read the register's kept year");
  kept_->bind(1, school_);
  while (kept_->step()) {
    if (unpackEntries(kept_->blob(0), keptPupils_)) continue;
    // Its pupils are read from their week rows (readPupilsNotKept), and the year kept again.
    namedLogger("store")->warn(
        "school {}: a row of the register's kept year could not be read; its pupils' weeks are "
        "read from the register instead, and the kept year made again",
        school_);
    due_ = true;
  }
  // In UPN order, as fill() is given the pupils (the rows are, unless changed by hand).
  auto byUpn = [](const PackedEntry& a, const PackedEntry& b) { return a.key < b.key; };
  if (!std::is_sorted(keptPupils_.begin(), keptPupils_.end(), byUpn))
    std::sort(keptPupils_.begin(), keptPupils_.end(), byUpn);
}

void KeptYearRead::outOfOrder() const {
  throw StoreError(db_.where() + ": the register's weeks of school " + school_ +
                   " were read out of the key's order; nothing was evaluated from them");
}

bool KeptYearRead::whole(std::string_view codes) const {
  return codes.size() >= offsetOf(readFrom_, keptFrom_);
}

void KeptYearRead::readPupilsNotKept(const std::vector<std::string_view>& upns) {
  if (!useKept_) return;
  // The pupils the kept year has no whole row for: new since it was made (rare: a pupil's rows
  // written since are read anyway), or a row shorter than it should be.
  std::vector<std::string_view> notKept;
  std::size_t at = 0;
  for (auto upn : upns) {
    while (at < keptPupils_.size() && keptPupils_[at].key < upn) ++at;
    if (at == keptPupils_.size() || keptPupils_[at].key != upn || !whole(keptPupils_[at].value))
      notKept.push_back(upn);
  }
  if (notKept.empty()) return;
  due_ = true;  // so the next read finds a row for them
  notKept_.emplace(db_,
                   "SELECT u.upn, w.week, w.codes FROM unnest($2::text[]) AS u(upn) CROSS JOIN "
                   "generate_series($3::integer, $4::integer - 7, 7) AS d(week) CROSS JOIN "
                   "LATERAL (SELECT week, codes FROM register_weeks WHERE school=$1 AND "
                   "week=d.week AND upn=u.upn OFFSET 0) AS w ORDER BY u.upn, w.week",
                   "read the register of pupils its kept year has no row for");
  notKept_->bind(1, school_).bindTextForm(2, pgTextArray(notKept));
  notKept_->bind(3, int64_t{first_}).bind(4, int64_t{readFrom_});
  moreNotKept_ = notKept_->step();
}

void KeptYearRead::lay(PupilRegister& reg, int32_t week, std::string_view codes) {
  setWeekCodes(reg, Date::fromDays(week), codes);
  if (row_ && week >= first_ && week < keepTo_)
    std::memcpy(row_->data() + offsetOf(week, first_), codes.data(),
                std::min(codes.size(), kWeekBytes));
}

void KeptYearRead::fill(std::string_view upn, PupilRegister& reg) {
  reg.clear();
  row_ = nullptr;
  if (making_ && due_)
    row_ = &keeping_.emplace_back(upn, std::string(offsetOf(keepTo_, first_), '\0')).second;
  if (useKept_) {
    while (keptAt_ < keptPupils_.size() && keptPupils_[keptAt_].key < upn) ++keptAt_;
    if (keptAt_ < keptPupils_.size() && keptPupils_[keptAt_].key == upn &&
        whole(keptPupils_[keptAt_].value)) {
      const auto codes = keptPupils_[keptAt_].value;
      for (int32_t week = first_; week < readFrom_; week += kWeekDays)
        lay(reg, week, codes.substr(offsetOf(week, keptFrom_), kWeekBytes));
    } else {
      while (moreNotKept_ && notKept_->textView(0) < upn) moreNotKept_ = notKept_->step();
      for (; moreNotKept_ && notKept_->textView(0) == upn; moreNotKept_ = notKept_->step())
        lay(reg, static_cast<int32_t>(notKept_->integer(1)), notKept_->blob(2));
    }
  }
  for (auto& rows : weekRows_) {
    for (; rows.next < rows.end; ++rows.next) {
      weeks_.readRow(rows.next);
      if (weeks_.textView(0) >= upn) break;
    }
    if (rows.next == rows.end || weeks_.textView(0) != upn) continue;
    lay(reg, static_cast<int32_t>(weeks_.integer(1)), weeks_.blob(2));
    ++rows.next;
  }
}

void KeptYearRead::keep() {
  if (!making_ || !due_) return;
  try {
    PgTransaction tx(db_);
    // A read (the console's, a command's) does not wait long for an import to finish.
    db_.exec("SET LOCAL lock_timeout = '2s'", "limit the wait for the school's write lock");
    lockSchoolForWriting(db_, school_);
    // Made only if neither the register nor the kept year changed since the read's snapshot
    // (another read's keep counts too: the kept year it read is then no longer the one there).
    PgStatement made(db_,
                     "UPDATE register_changes SET changed_from=NULL, kept_from=$3, kept_to=$4, "
                     "version=version + 1 WHERE school=$1 AND version=$2",
                     "record the register's kept year");
    made.bind(1, school_).bind(2, version_).bind(3, int64_t{first_}).bind(4, int64_t{keepTo_});
    if (made.run() != 1) return;  // the register changed since the read began
    PgStatement drop(db_, "DELETE FROM register_years WHERE school=$1",
                     "drop the register's kept year");
    drop.bind(1, school_).run();
    PgStatement row(db_, "INSERT INTO register_years(school, part, pupils) VALUES($1,$2,$3)",
                    "keep the register's year");
    std::string pupils;
    int64_t part = 0;
    auto write = [&] {
      row.bind(1, school_).bind(2, part++).bindBlob(3, pupils).run();
      pupils.clear();
    };
    for (const auto& [upn, codes] : keeping_) {
      packEntry(pupils, upn, codes);
      if (pupils.size() >= rowBytes_) write();
    }
    if (!pupils.empty()) write();
    tx.commit();
  } catch (const StoreError& e) {
    namedLogger("store")->warn(
        "school {}: the register's kept year was not made again ({}); the next read reads the "
        "week rows it would have held",
        school_, e.what());
  }
}

}  // namespace markbridge
