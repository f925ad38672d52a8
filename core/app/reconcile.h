#pragma once
// `markbridge reconcile`: the School Census totals beside what the stored register gives for
// the same pupils and dates, so a school sees where its return and its register disagree.

#include <string>
#include <vector>

#include "core/store/store.h"

namespace markbridge {

struct SessionCounts {
  int possible = 0, authorised = 0, unauthorised = 0;
  bool operator==(const SessionCounts&) const = default;
};

struct Reconciliation {
  std::string upn;
  std::string period;
  std::string source;
  Date from, to;
  SessionCounts census, reg;
  bool agrees() const { return census == reg; }
};

struct ReconcileReport {
  std::vector<Reconciliation> lines;
  // Totals whose period has no dates configured: they cannot be compared.
  std::vector<AttendanceTotals> undated;
  int disagreements() const;
};

ReconcileReport reconcile(Store& store);

}  // namespace markbridge
