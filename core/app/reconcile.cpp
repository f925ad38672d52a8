#include "core/app/reconcile.h"

#include <map>

#include "core/domain/upn.h"

namespace markbridge {
namespace {

std::vector<ReasonDifference> reasonDifferences(const std::map<std::string, int>& census,
                                                const std::map<std::string, int>& reg) {
  std::vector<ReasonDifference> differences;
  if (census.empty()) return differences;  // the return lists no reasons: totals only
  // Present is one reason in a return; the register writes it / (morning) or \ (afternoon).
  auto reason = [](const std::string& code) { return code == "\\" ? std::string("/") : code; };
  std::map<std::string, std::pair<int, int>> both;
  for (const auto& [code, n] : census) both[reason(code)].first += n;
  for (const auto& [code, n] : reg) {
    auto known = Code::fromString(code);
    if (both.contains(reason(code)) || (known && known->isAbsence()))
      both[reason(code)].second += n;
  }
  for (const auto& [code, counts] : both)
    if (counts.first != counts.second) differences.push_back({code, counts.first, counts.second});
  return differences;
}

std::string counts(const SessionCounts& c) {
  return std::to_string(c.possible) + " / " + std::to_string(c.authorised) + " / " +
         std::to_string(c.unauthorised);
}

}  // namespace

int ReconcileReport::disagreements() const {
  int n = 0;
  for (const auto& line : lines) n += !line.agrees();
  return n;
}

ReconcileReport reconcile(Store& store) {
  ReconcileReport report;
  std::map<std::string, std::vector<AttendanceTotals>> byPupil;
  std::map<std::string, std::vector<AttendanceTotals>> undated;
  for (auto& totals : store.attendanceTotals()) {
    if (!totals.from || !totals.to)
      undated[totals.upn].push_back(std::move(totals));
    else
      byPupil[totals.upn].push_back(std::move(totals));
  }
  store.forEachRegister([&](const Pupil& pupil, const std::vector<Mark>& marks) {
    if (auto found = undated.find(pupil.upn); found != undated.end()) {
      for (auto& totals : found->second)
        report.undated.push_back({std::move(totals), pupil.mis_id});
      undated.erase(found);
    }
    auto found = byPupil.find(pupil.upn);
    if (found == byPupil.end()) return;
    for (const auto& totals : found->second) {
      Reconciliation line{pupil.upn,
                          pupil.mis_id,
                          totals.period,
                          totals.source,
                          *totals.from,
                          *totals.to,
                          {totals.possible, totals.authorised, totals.unauthorised},
                          {},
                          {}};
      std::map<std::string, int> regReasons;
      for (const auto& mark : marks) {
        if (mark.date < line.from || mark.date > line.to) continue;
        line.reg.possible += mark.code.isPossible();
        line.reg.authorised += mark.code.category() == Category::Authorised;
        line.reg.unauthorised += mark.code.isUnauthorised();
        if (!mark.code.isNotTaken()) ++regReasons[std::string(mark.code.str())];
      }
      line.reasons = reasonDifferences(totals.by_reason, regReasons);
      report.lines.push_back(std::move(line));
    }
  });
  // Totals of pupils the register does not hold still say they were not compared.
  for (auto& [upn, list] : undated)
    for (auto& totals : list) report.undated.push_back({std::move(totals), ""});
  return report;
}

std::string pupilLabel(const std::string& upn, const std::string& admissionNumber) {
  return maskUpn(upn) + (admissionNumber.empty() ? "" : " adm " + admissionNumber);
}

void printReconcile(const ReconcileReport& report, std::ostream& out) {
  out << "census totals against the register (possible / authorised / unauthorised sessions)\n";
  for (const auto& line : report.lines) {
    out << "  " << (line.agrees() ? "agrees   " : "DIFFERS  ")
        << pupilLabel(line.upn, line.admission_number) << "  " << line.period << " "
        << line.from.iso() << ".." << line.to.iso() << "  census " << counts(line.census)
        << "  register " << counts(line.reg) << "\n";
    if (line.reasons.empty()) continue;
    out << "           by reason (census / register):";
    const char* separator = " ";
    for (const auto& r : line.reasons) {
      out << separator << r.code << " " << r.census << " / " << r.reg;
      separator = ", ";
    }
    out << "\n";
  }
  for (const auto& u : report.undated)
    out << "  not compared " << pupilLabel(u.totals.upn, u.admission_number) << " "
        << u.totals.period << ": set periods." << u.totals.period << " (from, to) in source "
        << u.totals.source << "\n";
  out << report.lines.size() << " compared, " << report.disagreements() << " differ, "
      << report.undated.size() << " without dates\n";
}

void printNoCensusSource(std::ostream& err) {
  err << "markbridge reconcile: the configuration has no census source, so there are no census "
         "totals to compare. Add one to \"sources\", for example\n"
         "  {\"name\": \"census\", \"type\": \"census_xml\", \"files\": "
         "[\"returns/spring-2025.xml\"],\n"
         "   \"periods\": {\"termly\": {\"from\": \"2024-09-02\", \"to\": \"2024-12-20\"}}}\n"
         "then `markbridge import --config FILE --source census returns/spring-2025.xml` and "
         "run reconcile again (see docs/connectors.md, census_xml).\n";
}

}  // namespace markbridge
