#include "core/rules/engine/reachability.h"

#include <algorithm>
#include <limits>

namespace markbridge {
namespace {

// The most a measure can ever be (sessions, days or percent); infinity when unbounded here.
double largest(const Measure& m) {
  if (m.kind == Measure::Kind::Percent) return 100;
  if (m.kind == Measure::Kind::ConsecutiveDays) return std::numeric_limits<double>::infinity();
  switch (m.window.kind) {
    case Window::Kind::LastSchoolDays:
      return 2.0 * m.window.n;
    case Window::Kind::SchoolDaysAgo:
      return 2;
    case Window::Kind::RollingSchoolWeeks:
      return 10.0 * m.window.n;
    case Window::Kind::SchoolWeekEndedDaysAgo:
      return 10;
    default:
      return std::numeric_limits<double>::infinity();
  }
}

bool sameMeasure(const Measure& a, const Measure& b) {
  return a.kind == b.kind && a.codes == b.codes && a.breaks == b.breaks &&
         a.window.kind == b.window.kind && a.window.n == b.window.n &&
         a.window.stage.name == b.window.stage.name && a.min_possible == b.min_possible &&
         a.as_of_morning == b.as_of_morning;
}

bool lowerBound(Condition::Op op) {
  return op == Condition::Op::AtLeast || op == Condition::Op::MoreThan;
}

}  // namespace

std::optional<std::string> whyNeverHolds(const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::Compare: {
      double most = largest(c.measure);
      double t = c.threshold;
      bool never = (c.op == Condition::Op::AtLeast && t > most) ||
                   (c.op == Condition::Op::MoreThan && t >= most) ||
                   (c.op == Condition::Op::LessThan && t <= 0) ||
                   (c.op == Condition::Op::AtMost && t < 0);
      if (!never) return std::nullopt;
      return "the measure is never " + std::string(lowerBound(c.op) ? "above " : "below ") +
             (lowerBound(c.op) ? std::to_string(static_cast<long>(most)) : std::string("0")) +
             " but the threshold is " + std::to_string(t).substr(0, std::to_string(t).find('.'));
    }
    case Condition::Kind::All:
      for (const auto& child : c.children)
        if (auto why = whyNeverHolds(child)) return why;
      return std::nullopt;
    case Condition::Kind::Any: {
      std::optional<std::string> last;
      for (const auto& child : c.children) {
        last = whyNeverHolds(child);
        if (!last) return std::nullopt;
      }
      return last;
    }
    default:
      return std::nullopt;
  }
}

bool implies(const Condition& a, const Condition& b) {
  if (b.kind == Condition::Kind::Any)
    return std::any_of(b.children.begin(), b.children.end(),
                       [&](const Condition& child) { return implies(a, child); });
  if (b.kind == Condition::Kind::All)
    return std::all_of(b.children.begin(), b.children.end(),
                       [&](const Condition& child) { return implies(a, child); });
  if (a.kind == Condition::Kind::All)
    return std::any_of(a.children.begin(), a.children.end(),
                       [&](const Condition& child) { return implies(child, b); });
  if (a.kind == Condition::Kind::Any)
    return std::all_of(a.children.begin(), a.children.end(),
                       [&](const Condition& child) { return implies(child, b); });
  if (a.kind == Condition::Kind::PupilFlag || a.kind == Condition::Kind::YearGroup)
    return a.kind == b.kind && std::all_of(a.values.begin(), a.values.end(), [&](auto& v) {
             return std::find(b.values.begin(), b.values.end(), v) != b.values.end();
           });
  if (a.kind != Condition::Kind::Compare || b.kind != Condition::Kind::Compare) return false;
  if (!sameMeasure(a.measure, b.measure) || lowerBound(a.op) != lowerBound(b.op)) return false;
  using Op = Condition::Op;
  if (lowerBound(a.op))  // a: value >= / > ta ; b: value >= / > tb
    return b.op == Op::AtLeast || a.op == Op::MoreThan ? a.threshold >= b.threshold
                                                       : a.threshold > b.threshold;
  return b.op == Op::AtMost || a.op == Op::LessThan ? a.threshold <= b.threshold
                                                    : a.threshold < b.threshold;
}

}  // namespace markbridge
