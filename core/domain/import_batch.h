#pragma once
// What one inbound file (or one API pull) yields once mapped: the pupils it names and their
// canonical marks. The store takes a batch whole or not at all.

#include <map>
#include <string>
#include <vector>

#include "core/domain/attendance_totals.h"
#include "core/domain/mark.h"
#include "core/domain/on_roll.h"
#include "core/domain/problem.h"
#include "core/domain/pupil.h"

namespace markbridge {

struct ImportBatch {
  std::string source;  // connector name
  std::string origin;  // file path or URL, for the audit trail
  std::string
      fingerprint;   // content fingerprint of the raw input: the same file twice is one import
  int priority = 0;  // the source's precedence when two sources disagree on a session
  std::vector<Pupil> pupils;
  std::vector<Mark> marks;
  std::vector<AttendanceTotals> totals;
  // Admission-register periods, from the sources that carry them (empty for the others).
  std::vector<OnRollRecord> on_roll = {};
  // What the source remembers once this import is stored (e.g. {"updated_after": "..."}).
  std::map<std::string, std::string>
      source_state;  // from returns that carry totals (School Census)
  int rows = 0;
  int missing_marks = 0;          // "register not taken" marks in the batch
  int review_flags = 0;           // legacy codes mapped with a flag for a person to check
  bool skipped = false;           // the same bytes came before: not read again
  bool has_flags = false;         // the input carries pupil flags (SEN, CLA, CP...): store them
  std::vector<Problem> problems;  // any problem rejects the whole batch
  std::vector<Problem> warnings;  // reported, not rejected (e.g. CTF totals that disagree)
  bool ok() const { return problems.empty(); }
};

}  // namespace markbridge
