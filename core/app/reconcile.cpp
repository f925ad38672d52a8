#include "core/app/reconcile.h"

#include <map>

namespace markbridge {

int ReconcileReport::disagreements() const {
  int n = 0;
  for (const auto& line : lines) n += !line.agrees();
  return n;
}

ReconcileReport reconcile(Store& store) {
  ReconcileReport report;
  std::map<std::string, std::vector<AttendanceTotals>> byPupil;
  for (auto& totals : store.attendanceTotals()) {
    if (!totals.from || !totals.to)
      report.undated.push_back(std::move(totals));
    else
      byPupil[totals.upn].push_back(std::move(totals));
  }
  store.forEachRegister([&](const Pupil& pupil, const std::vector<Mark>& marks) {
    auto found = byPupil.find(pupil.upn);
    if (found == byPupil.end()) return;
    for (const auto& totals : found->second) {
      Reconciliation line{pupil.upn,
                          totals.period,
                          totals.source,
                          *totals.from,
                          *totals.to,
                          {totals.possible, totals.authorised, totals.unauthorised},
                          {}};
      for (const auto& mark : marks) {
        if (mark.date < line.from || mark.date > line.to) continue;
        line.reg.possible += mark.code.isPossible();
        line.reg.authorised += mark.code.category() == Category::Authorised;
        line.reg.unauthorised += mark.code.isUnauthorised();
      }
      report.lines.push_back(std::move(line));
    }
  });
  return report;
}

}  // namespace markbridge
