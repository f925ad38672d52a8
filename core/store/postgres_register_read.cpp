#include "core/store/postgres_register_read.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "core/domain/logging.h"
#include "core/store/postgres_import.h"
#include "core/store/register_week.h"

namespace markbridge {
namespace {

constexpr int32_t kWeekDays = 7;
constexpr std::size_t kWeekBytes = RegisterWeek::kSlots;  // a week's codes

// The kept year is made again once it is this far behind the week before the latest written.
constexpr int32_t kKeptYearLag = 2 * kWeekDays;

std::size_t offsetOf(int32_t week, int32_t from) {
  return static_cast<std::size_t>((week - from) / kWeekDays) * kWeekBytes;
}

}  // namespace

KeptYearRead::KeptYearRead(PgConnection& db, const std::string& school,
                           const SchoolCalendar& calendar)
    : db_(db),
      school_(school),
      first_(calendar.first().monday().days()),
      weeks_(db,
             "SELECT upn, week, codes FROM register_weeks WHERE school=$1 AND week>=$2 AND "
             "week<=$3 ORDER BY upn, week",
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
    keepTo_ = std::min(latest - kWeekDays, calendar.last().monday().days());
    making_ = keepTo_ > first_;
    due_ = !usable || (changed && changedFrom < keptTo) || keepTo_ >= keptTo + kKeptYearLag;
  }
  weeks_.bind(1, school_).bind(2, int64_t{readFrom_}).bind(3, int64_t{calendar.last().days()});
  moreWeeks_ = weeks_.step();
  if (!useKept_) return;
  kept_.emplace(db_, "SELECT upn, codes FROM register_years WHERE school=$1 ORDER BY upn",
                "read the register's kept year");
  kept_->bind(1, school_);
  moreKept_ = kept_->step();
  // A pupil the kept year has no row for (new since it was made, which is rare: a pupil's rows
  // written since are read anyway) has their rows before readFrom_ read on their own.
  missing_.emplace(db_,
                   "SELECT week, codes FROM register_weeks WHERE school=$1 AND upn=$2 AND "
                   "week>=$3 AND week<$4 ORDER BY week",
                   "read the register of a pupil new since its year was kept");
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
  if (making_)
    row_ = &keeping_.emplace_back(upn, std::string(offsetOf(keepTo_, first_), '\0')).second;
  if (useKept_) {
    while (moreKept_ && kept_->textView(0) < upn) moreKept_ = kept_->step();
    if (moreKept_ && kept_->textView(0) == upn) {
      const auto codes = kept_->blob(1);
      for (int32_t week = first_; week < readFrom_; week += kWeekDays) {
        const auto at = offsetOf(week, keptFrom_);
        if (at + kWeekBytes > codes.size()) break;
        lay(reg, week, codes.substr(at, kWeekBytes));
      }
    } else {
      due_ = true;  // so the next read finds a row for them
      missing_->bind(1, school_).bind(2, upn).bind(3, int64_t{first_}).bind(4, int64_t{readFrom_});
      while (missing_->step())
        lay(reg, static_cast<int32_t>(missing_->integer(0)), missing_->blob(1));
      missing_->reset();
    }
  }
  while (moreWeeks_ && weeks_.textView(0) < upn) moreWeeks_ = weeks_.step();
  for (; moreWeeks_ && weeks_.textView(0) == upn; moreWeeks_ = weeks_.step())
    lay(reg, static_cast<int32_t>(weeks_.integer(1)), weeks_.blob(2));
}

void KeptYearRead::keep() {
  if (!making_ || !due_) return;
  try {
    PgTransaction tx(db_);
    lockSchoolForWriting(db_, school_);
    PgStatement made(db_,
                     "UPDATE register_changes SET changed_from=NULL, kept_from=$3, kept_to=$4 "
                     "WHERE school=$1 AND version=$2",
                     "record the register's kept year");
    made.bind(1, school_).bind(2, version_).bind(3, int64_t{first_}).bind(4, int64_t{keepTo_});
    if (made.run() != 1) return;  // the register changed since the read began
    PgStatement drop(db_, "DELETE FROM register_years WHERE school=$1",
                     "drop the register's kept year");
    drop.bind(1, school_).run();
    PgCopyRows rows;
    for (const auto& [upn, codes] : keeping_) {
      rows.row(3);
      rows.bytes(school_);
      rows.bytes(upn);
      rows.bytes(codes);
    }
    db_.copyIn("COPY register_years(school, upn, codes) FROM STDIN (FORMAT binary)", rows.finish(),
               "keep the register's year");
    tx.commit();
  } catch (const StoreError& e) {
    namedLogger("store")->warn(
        "school {}: the register's kept year was not made again ({}); the next read reads the "
        "week rows it would have held",
        school_, e.what());
  }
}

}  // namespace markbridge
