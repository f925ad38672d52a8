#pragma once
// Generated registers the size of a large local authority, written straight to disk.

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/domain/date.h"

namespace markbridge::bench {

struct GeneratedFile {
  std::filesystem::path path;
  int64_t marks = 0;
  int64_t bytes = 0;
};

// The school day of session `session` of the benchmark year (0: the morning of Monday 2
// September 2024; every weekday a school day).
Date benchDay(int session);
// A valid UPN for pupil number `serial` (any number up to 9,999,999).
std::string benchUpn(int serial);
// SIMS-style long CSV: one row per pupil-session, `sessions` sessions per pupil from session
// `first` of the year (0: the morning of Monday 2 September 2024). `amendedPerThousand`: the
// same register as a later export of it, with that many marks in a thousand changed.
// `firstPupil`: the pupils are numbers firstPupil.. (another school's pupils, another register).
GeneratedFile writeLongCsv(const std::filesystem::path& path, int pupils, int sessions,
                           int first = 0, int amendedPerThousand = 0, int firstPupil = 0);
// Common Transfer File: one AttendanceMarks string per pupil.
GeneratedFile writeCtf(const std::filesystem::path& path, int pupils, int sessions);

}  // namespace markbridge::bench
