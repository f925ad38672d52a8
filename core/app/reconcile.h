#pragma once
// `markbridge reconcile`: the School Census totals beside what the stored register gives for
// the same pupils and dates, so a school sees where its return and its register disagree: per
// total (possible / authorised / unauthorised sessions) and per attendance reason.

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "core/store/store.h"

namespace markbridge {

struct SessionCounts {
  int possible = 0, authorised = 0, unauthorised = 0;
  bool operator==(const SessionCounts&) const = default;
};

// One attendance reason (a 2024 code) whose sessions differ between census and register.
struct ReasonDifference {
  std::string code;
  int census = 0, reg = 0;
};

struct Reconciliation {
  std::string upn;
  std::string admission_number;  // the pupil's admission number (MIS id) when known
  std::string period;
  std::string source;
  Date from, to;
  SessionCounts census, reg;
  // When the census lists reasons (SessionDetails): every reason it lists and every absence
  // reason the register has, where the two disagree. Attendance reasons the census does not
  // list (most returns list absences only) are not compared.
  std::vector<ReasonDifference> reasons;
  bool agrees() const { return census == reg && reasons.empty(); }
};

struct UndatedTotals {
  AttendanceTotals totals;
  std::string admission_number;
};

struct ReconcileReport {
  std::vector<Reconciliation> lines;
  // Totals whose period has no dates configured: they cannot be compared.
  std::vector<UndatedTotals> undated;
  int disagreements() const;
};

ReconcileReport reconcile(Store& store);

// The pupil as the console names them: masked UPN (masks of two pupils can be the same) and the
// admission number when known, never a name.
std::string pupilLabel(const std::string& upn, const std::string& admissionNumber);

// The report as `markbridge reconcile` prints it.
void printReconcile(const ReconcileReport& report, std::ostream& out);

// What `markbridge reconcile` says when the configuration has no census source: what to add.
void printNoCensusSource(std::ostream& err);

}  // namespace markbridge
