// A pupil's story as `markbridge explain` and the console's pupil page tell it (pupil_story.h).

#include "core/app/pupil_story.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "core/app/command_support.h"
#include "core/outbox/la_notice.h"

namespace markbridge {
namespace {

std::string unitOf(const Condition* dating, double value) {
  if (!dating) return "";
  switch (dating->measure.kind) {
    case Measure::Kind::Percent:
      return "%";
    case Measure::Kind::ConsecutiveDays:
      return value == 1 ? " school day" : " school days";
    case Measure::Kind::Count:
      return value == 1 ? " session" : " sessions";
  }
  return "";
}

std::string joined(const std::vector<std::string>& values) {
  std::string text;
  for (const auto& v : values) text += (text.empty() ? "" : ", ") + v;
  return text;
}

// Why a pupil attribute in `c` rules the condition out for this pupil, when one does.
std::string attributeReason(const Condition& c, const Pupil& pupil) {
  switch (c.kind) {
    case Condition::Kind::PupilFlag:
      return "it applies only to pupils flagged " + joined(c.values) + ", and this pupil is not";
    case Condition::Kind::YearGroup:
      return "it applies only to year group(s) " + joined(c.values) + "; this pupil is in year " +
             (pupil.year_group.empty() ? "(not known)" : pupil.year_group);
    case Condition::Kind::All:
      for (const auto& child : c.children)
        if (neverHolds(child, pupil)) return attributeReason(child, pupil);
      return "";
    case Condition::Kind::Any: {
      std::string text;
      for (const auto& child : c.children)
        text += (text.empty() ? "" : "; and ") + attributeReason(child, pupil);
      return text;
    }
    default:
      return "";
  }
}

}  // namespace

// 12.5% (one decimal), 7 sessions, 10 school days.
std::string measured(const Condition* dating, double value) {
  std::ostringstream text;
  bool percent = dating && dating->measure.kind == Measure::Kind::Percent;
  if (percent || std::floor(value) != value)
    text << std::fixed << std::setprecision(1) << value;
  else
    text << static_cast<int64_t>(value);
  text << unitOf(dating, value);
  return text.str();
}

std::string threshold(const Condition* dating) {
  if (!dating || dating->kind != Condition::Kind::Compare) return "";
  std::string at = measured(dating, dating->threshold);
  switch (dating->op) {
    case Condition::Op::AtLeast:
      return " (holds at " + at + " or more)";
    case Condition::Op::MoreThan:
      return " (holds above " + at + ")";
    case Condition::Op::AtMost:
      return " (holds at " + at + " or less)";
    case Condition::Op::LessThan:
      return " (holds below " + at + ")";
  }
  return "";
}

// Why the rule cannot hold for this pupil on `asOf` (or from some day on), if it cannot.
std::string cannotHold(const PolicyRule& rule, const Pupil& pupil, Date asOf) {
  if (neverHolds(rule.when, pupil)) return "cannot hold: " + attributeReason(rule.when, pupil);
  if (!rule.compulsory_school_age_only) return "";
  auto [first, last] = compulsorySchoolAgeDays(pupil);
  if (first > last)
    return "cannot hold: not of compulsory school age (year " +
           (pupil.year_group.empty() ? std::string("not known") : pupil.year_group) +
           ", no date of birth on record); the rule counts compulsory school age only";
  if (asOf > last)
    return "cannot hold after " + last.iso() +
           ": not of compulsory school age from the next day (the rule counts compulsory school "
           "age only)";
  if (asOf < first)
    return "cannot hold before " + first.iso() + ": not of compulsory school age until then";
  return "";
}

std::string outboxKindName(OutboxKind kind) {
  return kind == OutboxKind::Notify   ? "notification"
         : kind == OutboxKind::Revise ? "revision"
                                      : "withdrawal";
}

std::string deliveryText(const OutboxItem& item) {
  // The school's note that the LA portal accepted this notification (core/outbox/la_notice.h).
  bool laNotice = item.key.find("/" + std::string(kLaNoticeType) + "@") != std::string::npos;
  std::string text = item.sink + ": " + (laNotice ? "note that the LA was told, " : "") +
                     outboxKindName(item.kind) + " ";
  switch (item.state) {
    case OutboxState::Delivered:
      text += "delivered " + utcMs(item.finished_at) + ", reference " +
              (item.reference.empty() ? "-" : item.reference);
      break;
    case OutboxState::Pending:
      text += "pending since " + utcMs(item.created_at) + " (" + std::to_string(item.attempts) +
              " attempt(s)" + (item.last_error.empty() ? "" : ", last: " + item.last_error) + ")";
      break;
    case OutboxState::Rejected:
      text += "dead-lettered " + utcMs(item.finished_at) + ": " + item.last_error;
      break;
    case OutboxState::Discarded:
      text += "discarded " + utcMs(item.finished_at);
      break;
  }
  return text + " [outbox " + std::to_string(item.seq) + "]";
}

std::string amendmentText(const Amendment& a) {
  return a.date.iso() + " " + std::string(toString(a.session)) + " " + a.old_code + " -> " +
         a.new_code + " by " + a.new_source + " at " + utcMs(a.amended_at * 1000);
}

}  // namespace markbridge
