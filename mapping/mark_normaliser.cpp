#include "mapping/mark_normaliser.h"

#include <charconv>

#include "core/domain/upn.h"

namespace markbridge {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void MarkNormaliser::report(std::vector<Problem>& problems, int line, const RawField& field,
                            std::string message) const {
  problems.push_back(
      Problem{file_, line, field.column, "", std::string(trim(field.text)), std::move(message)});
}

bool MarkNormaliser::checkUpn(const RawField& upn, int line, std::vector<Problem>& problems) const {
  auto text = trim(upn.text);
  if (!lastUpn_.empty() && text == lastUpn_) return true;
  auto problem = upnProblem(text);
  if (problem.empty()) {
    lastUpn_.assign(text);
    return true;
  }
  report(problems, line, upn, "invalid UPN: " + problem);
  return false;
}

std::optional<std::string> MarkNormaliser::pupilUpn(const RawField& upn, const RawField& misId,
                                                    int line,
                                                    std::vector<Problem>& problems) const {
  if (!trim(upn.text).empty() || trim(misId.text).empty()) {
    if (!checkUpn(upn, line, problems)) return std::nullopt;
    return std::string(trim(upn.text));
  }
  if (directory_)
    if (const std::string* known = directory_->upnOf(trim(misId.text))) return *known;
  report(problems, line, misId,
         "unknown pupil: the row has no UPN and no pupil on roll has this MIS id (import the "
         "MIS's pupil list or census first)");
  return std::nullopt;
}

bool MarkNormaliser::normaliseInto(const RawMark& raw, Mark& out, std::vector<Problem>& problems,
                                   bool* review) const {
  std::size_t before = problems.size();
  if (raw.upn_resolved) {
    out.upn.assign(raw.upn.text);
  } else if (auto upn = pupilUpn(raw.upn, raw.mis_id, raw.line, problems)) {
    out.upn = std::move(*upn);
  }
  std::optional<Date> date = raw.known_date;
  if (!date) {
    auto text = trim(raw.date.text);
    if (text == lastDateText_ && !text.empty()) {
      date = lastDate_;
    } else if ((date = Date::parse(text))) {
      lastDateText_.assign(text);
      lastDate_ = *date;
    } else {
      report(problems, raw.line, raw.date, "date must be dd/mm/yyyy or yyyy-mm-dd");
    }
  }
  auto session = raw.known_session ? raw.known_session : parseSession(raw.session.text);
  if (!session) report(problems, raw.line, raw.session, "session must be AM or PM");
  auto mapped = codes_.map(raw.code.text);
  if (!mapped)
    report(problems, raw.line, raw.code,
           "unknown attendance code: not a 2024 DfE code, a legacy code or a mapped vendor code");
  out.minutes_late.reset();
  if (auto text = trim(raw.minutes_late.text); !text.empty()) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value < 0)
      report(problems, raw.line, raw.minutes_late, "minutes late must be a whole number");
    else
      out.minutes_late = value;
  }
  if (date && *date > today_) {
    // A blank or `-` for a session still to come (a grid exported mid-week) is not a mark.
    if (mapped && mapped->code.isNotTaken()) return false;
    std::string iso = date->iso();
    // A grid names its heading as written ('Tue 02/09/2031 AM'); a CTF string has no date
    // written for each mark: the date it works out.
    RawField where =
        !raw.known_date || !raw.date.text.empty() ? raw.date : RawField{iso, raw.code.column};
    if (*date > latest_)
      report(problems, raw.line, where,
             latest_ == today_
                 ? "the date is after today (" + today_.iso() +
                       "): no register is taken before its day, so the file is refused"
                 : "the date is after today and after the calendar's last day (" + latest_.iso() +
                       "): a wrong year? The file is refused");
  }
  if (problems.size() != before) return false;
  if (review) *review = mapped->review;
  out.date = *date;
  out.session = *session;
  out.code = mapped->code;
  if (out.source != source_) out.source = source_;
  out.source_code.assign(trim(raw.code.text));
  out.recorded_at = recordedAt_;
  return true;
}

}  // namespace markbridge
