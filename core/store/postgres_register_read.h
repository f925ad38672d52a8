#pragma once
// The register as the rules read it from the PostgreSQL store (forEachPupilRegister): each
// pupil's codes laid over the calendar.
//
// Reading a school's year of week rows at every sync (38,000 rows for 1,000 pupils by the
// summer) was the biggest single cost of a register close on PostgreSQL. So the store keeps
// each pupil's codes up to a recent Monday in one row ("the kept year": register_years) and reads
// the week rows only from there on. What makes that safe is register_changes: triggers on
// register_weeks note the earliest week any statement wrote or deleted since the kept year was
// made, so a change to an earlier week (an amendment to the past, a pupil's history arriving
// late, a store copied in) is read from its rows, never from the kept year. Which writer made
// the change does not matter: the database notes it, not the code that wrote it.
//
// The kept year holds every week before the latest written (up to the calendar's last Monday),
// and is made again from what a read read when a newer week has been written since (at the first
// read of each new week) or a change reached into it further back than its last week, in a
// transaction of its own that makes it only if nothing changed in the register since the read
// began (the version register_changes counts). So a close reads the rows of the current week
// (and of the week before, at a week's first read or once last week was amended).
//
// It is kept packed (schema 7, packed_entries.h: the key a UPN, the value its codes): a row holds
// the codes of up to a megabyte's worth of the school's pupils (about 1,800 by the summer), so a
// read fetches one value, which the server keeps compressed (lz4; a year of codes is mostly the
// same few codes: 518 KB of a school's thousand pupils kept in 72 KB), instead of a thousand rows
// each found through the key.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/rules/register.h"
#include "core/store/packed_entries.h"
#include "core/store/postgres_db.h"

namespace markbridge {

class KeptYearRead {
 public:
  // Reads what changed, the week rows and the kept year: inside the caller's transaction, one
  // snapshot (REPEATABLE READ) with the pupils it reads (readPupilsNotKept), so the kept year,
  // its bounds and the rows are of one moment, whatever another connection commits meanwhile.
  // A kept row is closed once it holds `rowBytes` (the next pupil starts the next row).
  static constexpr std::size_t kRowBytes = 1 << 20;
  KeptYearRead(PgConnection& db, const std::string& school, const SchoolCalendar& calendar,
               std::size_t rowBytes = kRowBytes);
  // In the same transaction: the earlier weeks of those of the pupils (UPN order, the ones fill
  // will be given) the kept year has no whole row for.
  void readPupilsNotKept(const std::vector<std::string_view>& upns);
  // After the transaction, from what was read: the pupil's codes laid over `reg` (cleared
  // first). Pupils in UPN order (byte order).
  void fill(std::string_view upn, PupilRegister& reg);
  // After the last pupil: the kept year made again from what was read, if it is due. Never
  // fails the read: a kept year not made is made by a later read (said in the log).
  void keep();

 private:
  // The week's codes laid over `reg` and, while the kept year is being made, into its row.
  void lay(PupilRegister& reg, int32_t week, std::string_view codes);
  [[noreturn]] void outOfOrder() const;
  // Whether a kept row holds every week before readFrom_.
  bool whole(std::string_view codes) const;

  PgConnection& db_;
  std::string school_;
  std::size_t rowBytes_;
  int32_t first_ = 0;     // the calendar's first Monday (days since 1970)
  int32_t readFrom_ = 0;  // rows are read from this week; the kept year gives those before it
  int32_t keptFrom_ = 0;  // the kept year's first week
  int64_t version_ = 0;   // register_changes.version when the read began
  bool useKept_ = false;
  // The kept year that would be made now: its weeks [first_, keepTo_), each pupil's row (made
  // as the pupils are read, a memcpy a week, only when it is made), and whether it is made
  // (due_: a newer week written, a change reached into it before its last week, or a pupil had
  // no row in it; known before the first pupil is filled).
  bool making_ = false, due_ = false;
  int32_t keepTo_ = 0;
  std::vector<std::pair<std::string, std::string>> keeping_;
  std::string* row_ = nullptr;  // the pupil's row being made

  // Rows from readFrom_, in the key's order (week, then pupil), read by pupil through a cursor
  // into each week's rows: where the next pupil's row of the week is looked for, and where the
  // week's rows end.
  struct WeekRows {
    int next = 0, end = 0;
  };
  PgStatement weeks_;
  std::vector<WeekRows> weekRows_;
  std::optional<PgStatement> kept_;      // the kept year's rows, holding keptPupils_' bytes
  std::vector<PackedEntry> keptPupils_;  // the kept year: UPN, codes (UPN order)
  std::size_t keptAt_ = 0;               // where fill() looks for the next pupil in it
  std::optional<PgStatement> notKept_;   // rows before readFrom_ of pupils it has no row for
  bool moreNotKept_ = false;
};

}  // namespace markbridge
