#include "connectors/inbound/common/batch_builder.h"

#include "core/domain/utf8.h"

namespace markbridge {

BatchBuilder::BatchBuilder(ImportReceiver& receiver, std::string source, std::string origin,
                           int priority)
    : receiver_(receiver) {
  batch_.source = std::move(source);
  batch_.origin = std::move(origin);
  batch_.priority = priority;
}

void BatchBuilder::problem(int line, int column, std::string value, std::string message) {
  batch_.problems.push_back(
      Problem{batch_.origin, line, column, "", std::move(value), std::move(message)});
}

void BatchBuilder::addPupil(Pupil&& pupil) {
  if (!ledger_.try_emplace(pupil.upn).second) return;
  last_ = nullptr;
  if (batch_.ok()) batch_.pupils.push_back(std::move(pupil));
}

uint8_t BatchBuilder::remember(PupilSessions& sessions, Date date, Session session, uint8_t code) {
  if (sessions.codes.empty()) sessions.first = date;
  if (date < sessions.first) {
    sessions.codes.insert(sessions.codes.begin(),
                          static_cast<std::size_t>(sessions.first - date) * 2, 0);
    sessions.first = date;
  }
  auto at = static_cast<std::size_t>(date - sessions.first) * 2 + static_cast<std::size_t>(session);
  if (at >= sessions.codes.size()) sessions.codes.resize(at + 1, 0);
  uint8_t seen = sessions.codes[at];
  if (seen == 0) sessions.codes[at] = code;
  return seen;
}

bool BatchBuilder::admit(const Mark& mark, int line, const RawField& code, bool review) {
  if (!last_ || mark.upn != lastUpn_) {
    last_ = &ledger_[mark.upn];
    lastUpn_ = mark.upn;
  }
  uint8_t index = static_cast<uint8_t>(mark.code.index() + 1);
  if (uint8_t seen = remember(*last_, mark.date, mark.session, index)) {
    if (seen != index)
      problem(line, code.column, std::string(code.text),
              "conflicts with an earlier row for the same pupil and session (" + mark.date.iso() +
                  " " + std::string(toString(mark.session)) + ")");
    return false;  // an identical duplicate row adds nothing
  }
  batch_.missing_marks += mark.code.isNotTaken();
  batch_.review_flags += review;
  return batch_.ok();  // once the input is rejected, nothing more is kept
}

namespace {

// What a second statement of a period says differently from the first: its value, and both
// sides for the problem ("leaving date 2024-11-20 here, 2024-11-19 on line 3").
std::pair<std::string, std::string> differenceFrom(const OnRollPeriod& first, int firstLine,
                                                   const OnRollPeriod& now) {
  auto day = [](const std::optional<Date>& d) { return d ? d->iso() : std::string("none"); };
  std::string what, here, there;
  if (first.left != now.left) {
    what = "leaving date";
    here = day(now.left);
    there = day(first.left);
  } else {
    bool reason = first.leaving_reason != now.leaving_reason;
    what = reason ? "reason for leaving" : "destination";
    here = excerptUtf8(reason ? now.leaving_reason : now.destination);
    there = excerptUtf8(reason ? first.leaving_reason : first.destination);
  }
  return {here,
          what + " '" + here + "' here, '" + there + "' on line " + std::to_string(firstLine)};
}

}  // namespace

void BatchBuilder::addOnRoll(OnRollRecord&& roll) {
  auto& stated = rollsStated_[roll.upn];
  for (const auto& [period, line] : stated) {
    if (period.admitted != roll.period.admitted) continue;
    if (period == roll.period) return;  // the same period again: nothing new
    auto [value, said] = differenceFrom(period, line, roll.period);
    problem(roll.line, 0, value,
            "the admission register conflicts with an earlier record for the same pupil and "
            "admission date (" +
                (roll.period.admitted ? roll.period.admitted->iso() : std::string("none")) +
                "): " + said);
    return;
  }
  stated.emplace_back(roll.period, roll.line);
  if (batch_.ok()) batch_.on_roll.push_back(std::move(roll));
}

void BatchBuilder::handOnIfFull() {
  if (batch_.marks.size() < kPartMarks) return;
  receiver_.part(batch_);
  batch_.marks.clear();
  batch_.pupils.clear();
  batch_.on_roll.clear();
  batch_.marks.reserve(kPartMarks);
}

void BatchBuilder::addRaw(const MarkNormaliser& normaliser, const RawMark& raw) {
  bool review = false;
  if (!normaliser.normaliseInto(raw, scratch_, batch_.problems, &review)) return;
  if (!admit(scratch_, raw.line, raw.code, review)) return;
  batch_.marks.push_back(scratch_);
  handOnIfFull();
}

void BatchBuilder::finish(std::string fingerprint) {
  batch_.fingerprint = std::move(fingerprint);
  if (!batch_.ok()) {
    batch_.marks.clear();
    batch_.pupils.clear();
    batch_.on_roll.clear();
  }
  receiver_.finish(std::move(batch_));
}

}  // namespace markbridge
