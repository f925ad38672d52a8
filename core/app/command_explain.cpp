// `markbridge explain PUPIL`: a pupil's whole story. Every rule and ladder stage with its
// measure now (rounded, with its unit) and why it cannot hold when it cannot; every episode the
// store recorded, in whatever state, with what each sink was sent, when and under which
// reference, and when and why it was revised or withdrawn; and the pupil's mark amendments.
// It only looks: no token or key is read.

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <set>
#include <sstream>

#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/app/pupil_story.h"
#include "core/outbox/la_notice.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

// The amendments to the episode's sessions between its recording and its change (`afterMs`,
// `byMs`): why it was revised or withdrawn. Amendments are timed to the second.
std::vector<const Amendment*> amendmentsBehind(const std::vector<Amendment>& amendments,
                                               const RecordedEvent& e, int64_t afterMs,
                                               int64_t byMs) {
  std::vector<const Amendment*> found;
  for (const auto& a : amendments)
    if (a.date >= e.from && a.date <= e.to && a.amended_at >= afterMs / 1000 &&
        a.amended_at <= (byMs + 999) / 1000)
      found.push_back(&a);
  return found;
}

std::string because(const std::vector<const Amendment*>& amendments) {
  if (amendments.empty()) return "";
  std::string text = " after the register was amended: ";
  for (std::size_t i = 0; i < amendments.size() && i < 3; ++i)
    text += (i ? "; " : "") + amendmentText(*amendments[i]);
  if (amendments.size() > 3) text += "; and " + std::to_string(amendments.size() - 3) + " more";
  return text;
}

void printEpisodes(const std::vector<EventHistory>& history,
                   const std::vector<Amendment>& amendments, const RuleSet& rules,
                   std::ostream& out) {
  out << "\nepisodes recorded (" << history.size() << "), every state:\n";
  if (history.empty()) out << "  none\n";
  for (const auto& h : history) {
    const auto& e = h.event;
    out << "  " << e.occurred_on.iso() << "  " << ruleLabel(rules, e.rule) << " (" << e.type
        << "): " << toString(e.state) << "\n    grounds " << e.from.iso() << ".." << e.to.iso();
    if (!h.summary.empty()) out << ": " << h.summary;
    out << "\n    recorded " << utcMs(h.created_at);
    if (e.record_of != e.id) {
      for (const auto& other : history)
        if (other.event.id == e.record_of)
          out << ", revising the record of the episode of " << other.event.occurred_on.iso();
    }
    out << "\n";
    for (const auto& item : h.deliveries) out << "    " << deliveryText(item) << "\n";
    switch (e.state) {
      case EventState::Withdrawn:
        out << "    withdrawn " << utcMs(h.updated_at) << ": its grounds no longer hold"
            << because(amendmentsBehind(amendments, e, h.created_at, h.updated_at))
            << (h.deliveries.empty() ? "" : "; each sink told was sent a withdrawal") << "\n";
        break;
      case EventState::Superseded: {
        std::string to;
        for (const auto& other : history)
          if (other.event.record_of == e.record_of && other.event.id != e.id &&
              other.created_at >= h.created_at && other.event.state == EventState::Active)
            to = " to " + other.event.from.iso() + ".." + other.event.to.iso();
        auto behind = because(amendmentsBehind(amendments, e, h.created_at, h.updated_at));
        out << "    revised " << utcMs(h.updated_at) << ": the episode moved" << to
            << (behind.empty() ? " (the register was amended)" : behind)
            << (h.deliveries.empty() ? "" : "; each sink told was sent a revision") << "\n";
        break;
      }
      case EventState::Historical:
        out << "    arose before notify_from: recorded as history, never sent\n";
        break;
      case EventState::Active:
        if (e.type == "digest_entry")
          out << "    listed in the " << e.rule << " digest, not sent on its own\n";
        else if (h.deliveries.empty())
          out << "    sent nowhere: no sink takes " << e.type << "\n";
        break;
    }
  }
}

void printAmendments(const std::vector<Amendment>& amendments, std::ostream& out) {
  out << "\nmark amendments (" << amendments.size() << "): session, old -> new, by, when\n";
  if (amendments.empty()) out << "  none\n";
  for (const auto& a : amendments)
    out << "  " << a.date.iso() << " " << toString(a.session) << "  " << a.old_code << " ("
        << a.old_source << ") -> " << a.new_code << " (" << a.new_source << ")  "
        << utcMs(a.amended_at * 1000) << "\n";
}

}  // namespace

int explain(const Args& args, std::ostream& out, std::ostream& err) {
  if (args.files.size() != 1) {
    err << "markbridge explain: name one pupil by UPN, masked UPN (B...5001), admission "
           "number or name\n";
    return kExitConfig;
  }
  auto gateway = openGateway(args, err, Gateway::Store::Open, Gateway::Connectors::Look);
  if (!gateway) return kExitConfig;
  auto& store = gateway->store();
  const std::string& wanted = args.files.front();
  auto pupils = findPupils(store, wanted);
  if (pupils.empty()) {
    // What was typed may be a whole UPN: shown masked, like every UPN on the console.
    err << "markbridge explain: no pupil with UPN, admission number or name '"
        << (isValidUpn(wanted) ? maskUpn(wanted) : oneLine(wanted)) << "'\n";
    return kExitConfig;
  }
  if (pupils.size() > 1) {
    err << "markbridge explain: '" << oneLine(wanted) << "' names " << pupils.size()
        << " pupils; name one by full UPN or admission number:\n";
    for (const auto& p : pupils)
      err << "  " << maskUpn(p.upn) << (p.mis_id.empty() ? "" : " adm " + p.mis_id) << " (year "
          << p.year_group << ", " << p.reg_group << ")\n";
    return kExitConfig;
  }
  const Pupil& named = pupils.front();
  const auto& calendar = gateway->calendar();
  const auto& rules = gateway->config().rules;
  auto history = store.eventHistory(named.upn);
  std::set<std::string> recordedFor;  // rules with an episode recorded
  for (const auto& h : history) recordedFor.insert(h.event.rule);
  bool found = false;
  store.forEachPupilRegister(calendar, [&](const Pupil& pupil, const PupilRegister& reg) {
    if (found || pupil.upn != named.upn) return;
    found = true;
    // Today, or the calendar's last day when it is over.
    Date asOf =
        std::min(calendar.last(), london::localDate(static_cast<int64_t>(std::time(nullptr))));
    out << "pupil " << maskUpn(pupil.upn) << " (year " << pupil.year_group << ", "
        << pupil.reg_group << ")"
        << (pupil.mis_id.empty() ? "" : ", admission number " + pupil.mis_id) << ", as of "
        << asOf.iso() << "\n";
    // The admission register: the days that count (docs/rules.md, "Days on roll").
    out << "on roll: ";
    if (pupil.on_roll.empty()) out << "no admission register data (every school day counts)";
    for (std::size_t i = 0; i < pupil.on_roll.size(); ++i) {
      const auto& p = pupil.on_roll[i];
      out << (i ? "; " : "") << (p.admitted ? p.admitted->iso() : "(admission not known)")
          << (p.left ? " to " + p.left->iso() : " onwards");
      if (p.left && !p.leaving_reason.empty()) out << " (" << p.leaving_reason << ")";
    }
    out << "\n";
    for (const auto& policy : rules.policies()) {
      for (const auto& e : policy.explain(pupil, reg, asOf)) {
        out << "\n"
            << policy.name() << "." << e.id << ": " << (e.holds ? "HOLDS" : "does not hold")
            << (e.standing.empty() ? "" : " (" + e.standing + ")") << "\n";
        if (!e.rule->description.empty()) out << "  " << e.rule->description << "\n";
        const Condition* dating = e.dating ? e.dating : e.rule->when.primary();
        if (e.value)
          out << "  measure now: " << measured(dating, *e.value)
              << (e.from ? " since " + e.from->iso() : "") << threshold(dating) << "\n";
        else if (auto note = dating ? weeklyWindowNote(dating->measure.window, calendar, asOf)
                                    : std::string();
                 !note.empty())
          out << "  measure now: " << note << "\n";
        else if (dating && dating->measure.kind == Measure::Kind::Percent &&
                 dating->measure.min_possible > 0)
          out << "  measure now: none yet (fewer than " << dating->measure.min_possible
              << " possible sessions in its window)\n";
        if (!e.holds)
          if (auto why = cannotHold(*e.rule, pupil, asOf); !why.empty()) out << "  " << why << "\n";
        for (const auto& event : e.fired) {
          out << "  fired " << event.occurred_on.iso() << " (" << event.type << ", "
              << event.from.iso() << ".." << event.to.iso() << "):";
          for (const auto& [code, n] : event.sessions_by_code) out << " " << code << " x" << n;
          out << "\n";
        }
        if (e.fired.empty())
          out << "  never fired"
              << (recordedFor.count(policy.name() + "." + e.id)
                      ? " on the register as it stands (its recorded episodes are below)"
                      : "")
              << "\n";
      }
    }
  });
  if (!found) {
    err << "markbridge explain: no register for pupil " << maskUpn(named.upn) << "\n";
    return kExitConfig;
  }
  auto amendments = store.amendments(named.upn);
  printEpisodes(history, amendments, rules, out);
  printAmendments(amendments, out);
  return kExitOk;
}

}  // namespace markbridge
