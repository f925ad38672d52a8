#pragma once
// A one-pupil school for black-box tests of a school's graduated response: Zed Brown
// (B801200005001, 8B) present from Tuesday 3 Sep 2024 and absent (O) every session from Monday
// 16 Sep, and a two-stage ladder: a letter (a task for the attendance officer) at 3 school days
// absent in a row, an attendance meeting (a concern alerting `alertRole`) at 6.

#include <string>

#include "tests/support/test_support.h"

namespace markbridge::test {

// The register's rows (SIMS long layout) up to and including `last`.
inline std::string absentFromThe16thCsv(const char* last) {
  std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\n";
  for (Date day : autumnCalendar().schoolDays(d("2024-09-03"), d(last))) {
    auto iso = day.iso();
    std::string uk = iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
    bool absent = day >= d("2024-09-16");
    for (const char* s : {"AM", "PM"}) {
      std::string present = std::string(s) == "AM" ? "/" : "\\";
      csv += "B801200005001,1001,Brown,Zed,8B,8," + uk + "," + s + "," + (absent ? "O" : present) +
             "\n";
    }
  }
  return csv;
}

inline std::string letterThenMeetingPolicy(const std::string& alertRole) {
  return R"({"name": "ours", "ladders": [{"id": "response", "stages": [
  {"id": "letter_1",
   "when": {"measure": "consecutive_days", "codes": "unauthorised", "at_least": 3},
   "action": {"task": {"assignee_role": "attendance_officer", "text": "Letter 1 home"}},
   "summary": "absent without authorisation 3 school days in a row from {from}"},
  {"id": "meeting",
   "when": {"measure": "consecutive_days", "codes": "unauthorised", "at_least": 6},
   "action": {"concern": {"categories": ["Attendance"], "alert": [")" +
         alertRole + R"("]}},
   "summary": "6 school days in a row from {from}: attendance meeting"}]}]})";
}

}  // namespace markbridge::test
