#pragma once
// Turns one raw row from a connector (text as the MIS wrote it) into a canonical Mark, or into a
// Problem naming file, line, column and value. Knows no file format.
//
// Pupil identity: a valid UPN names the pupil; a UPN that fails its check letter is rejected
// with the reason; a row with no UPN is matched on MIS id among the pupils on roll, and a row
// that matches nobody is rejected as an unknown pupil.
//
// Dates: a mark dated after today (London) is pre-entered (a planned absence the office entered
// ahead in the MIS) when it is not after the calendar's last day, and refused when it is (no
// calendar known: any date after today is refused). A missing mark (blank, `-`) for a session
// after today is no mark at all: it yields nothing.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/mark.h"
#include "core/domain/problem.h"
#include "mapping/code_map.h"
#include "mapping/pupil_directory.h"
#include "schedules/london_time.h"

namespace markbridge {

struct RawField {
  std::string_view text;
  int column = 0;  // 1-based column in the source (0 when the format has none), for messages
};

struct RawMark {
  int line = 0;
  RawField upn, date, session, code, minutes_late;
  RawField mis_id;
  bool upn_resolved = false;  // `upn` holds a UPN the connector already checked or matched
  // Formats that carry the date and session outside the row (a grid's header, a CTF string).
  std::optional<Date> known_date;
  std::optional<Session> known_session;
};

class MarkNormaliser {
 public:
  MarkNormaliser(const CodeMap& codes, std::string file, std::string source, int64_t recordedAt,
                 const PupilDirectory* directory = nullptr)
      : codes_(codes),
        file_(std::move(file)),
        source_(std::move(source)),
        recordedAt_(recordedAt),
        today_(london::localDate(recordedAt)),
        directory_(directory) {}

  // Marks after today up to `lastDay` (the calendar's last day) are pre-entered, not refused.
  void acceptAheadUntil(std::optional<Date> lastDay) {
    latest_ = lastDay && *lastDay > today_ ? *lastDay : today_;
  }

  // Fills `out` (reusing its storage: the import path's hot loop). Appends to `problems` and
  // returns false when the row cannot be trusted.
  bool normaliseInto(const RawMark& raw, Mark& out, std::vector<Problem>& problems,
                     bool* review = nullptr) const;
  // The pupil's UPN, or nothing (with a problem appended) when the row names no pupil we know.
  std::optional<std::string> pupilUpn(const RawField& upn, const RawField& misId, int line,
                                      std::vector<Problem>& problems) const;
  // Whether `upn` is a valid UPN; otherwise a problem is appended.
  bool checkUpn(const RawField& upn, int line, std::vector<Problem>& problems) const;

 private:
  void report(std::vector<Problem>& problems, int line, const RawField& field,
              std::string message) const;
  const CodeMap& codes_;
  std::string file_;
  std::string source_;
  int64_t recordedAt_;
  Date today_;            // London's date at recordedAt_
  Date latest_ = today_;  // later dates are refused
  const PupilDirectory* directory_;
  // Exports list a pupil's marks together: the last UPN and date checked are remembered.
  mutable std::string lastUpn_;
  mutable std::string lastDateText_;
  mutable Date lastDate_;
};

}  // namespace markbridge
