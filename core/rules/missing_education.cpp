#include "core/rules/missing_education.h"

#include <nlohmann/json.hpp>

#include "core/rules/rule.h"

namespace markbridge {
namespace {

bool inWindow(Date day, const PupilRegister& reg, Date from, Date through) {
  return day >= from && day <= through && reg.calendar().covers(day);
}

// The pair of events each case raises: the DSL's concern and the LA's notification.
void raise(std::vector<Event>& events, const std::string& rule, const Pupil& pupil,
           const PupilRegister& reg, const std::string& episode, Date occurred, Date from, Date to,
           const std::string& summary, const nlohmann::json& details) {
  Event concern = makeEvent(rule + "_dsl", "concern", pupil, reg, episode, occurred, from, to);
  concern.summary = summary;
  nlohmann::json action = details;
  action["categories"] = {"Safeguarding - missing education"};
  action["alert"] = {"DSL"};
  concern.action = action.dump();
  events.push_back(std::move(concern));
  Event la = makeEvent(rule, kMissingEducationType, pupil, reg, episode, occurred, from, to);
  la.summary = summary;
  la.action = details.dump();
  events.push_back(std::move(la));
}

bool destinationUnknown(const OnRollPeriod& period) {
  std::string d;
  for (char c : period.destination)
    if (c != ' ' && c != '.' && c != '-')
      d += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return d.empty() || d == "unknown" || d == "notknown" || d == "nk" || d == "n/k";
}

}  // namespace

const SettingTable<MissingEducationSettings>& MissingEducationSettings::table() {
  using M = MissingEducationSettings;
  static const auto table =
      SettingTable<M>()
          .boolean("vanished", &M::vanished,
                   "raise a DSL concern and a missing_education LA notification for a pupil who "
                   "vanishes from the exports without a leaving date")
          .integer("vanished_after_syncs", &M::vanished_after_syncs,
                   "consecutive syncs whose imports listed the roll without naming the pupil "
                   "before they count as vanished (a source that failed or did not run that sync "
                   "does not count)",
                   {1, 100})
          .converted(
              "roll_sources", FieldType::Array, "array of strings, or null",
              "the sources whose every import lists the whole roll (e.g. the daily SIMS export); "
              "null: every source except mis_rest (incremental) and ctf_xml (transfer files)",
              [](M& m, const nlohmann::json& names, const SettingScope& scope) {
                if (names.is_null()) {
                  m.roll_sources.reset();
                  return;
                }
                m.roll_sources.emplace();
                for (std::size_t i = 0; i < names.size(); ++i) {
                  if (names[i].is_string())
                    m.roll_sources->push_back(names[i].get<std::string>());
                  else
                    scope.context.add(scope.path + "[" + std::to_string(i) + "]",
                                      "must be the name of a source", names[i].dump());
                }
              },
              [](M& m) {
                return m.roll_sources ? nlohmann::json(*m.roll_sources) : nlohmann::json(nullptr);
              })
          .boolean("leavers", &M::leavers,
                   "raise a DSL concern and a missing_education LA notification for a leaver "
                   "with an open unauthorised-absence run or an unknown destination");
  return table;
}

std::string MissingEducationSettings::digest() const {
  return std::to_string(vanished) + std::to_string(leavers) + "|" +
         std::to_string(vanished_after_syncs);
}

int openUnauthorisedRun(const PupilRegister& reg, const std::vector<OnRollPeriod>& onRoll,
                        Date through, Date* runFrom) {
  const auto& calendar = reg.calendar();
  int run = 0;
  for (Date day = through; day >= calendar.first() && isOnRoll(onRoll, day); day = day - 1) {
    if (!calendar.isSchoolDay(day)) continue;
    Code am = reg.at(day, Session::AM), pm = reg.at(day, Session::PM);
    bool breaks = false, unauthorised = false, taken = true;
    for (Code c : {am, pm}) {
      if (c.isNotTaken()) taken = false;
      if (c.isAttendance() || c.category() == Category::Authorised) breaks = true;
      if (c.isUnauthorised()) unauthorised = true;
    }
    if (breaks) break;
    if (!taken || !unauthorised) continue;  // a register not taken: neither breaks nor extends
    ++run;
    if (runFrom) *runFrom = day;
  }
  return run;
}

std::vector<Event> missingEducation(const Pupil& pupil, const PupilRegister& reg,
                                    const MissingEducationSettings& settings, Date from,
                                    Date through) {
  std::vector<Event> events;
  // Vanished: named by no roll listing for N syncs, and no leaving date closes the roll.
  bool left = !pupil.on_roll.empty() && pupil.on_roll.back().left;
  int n = settings.vanished_after_syncs;
  if (settings.vanished && !left && static_cast<int>(pupil.missed_roll_listings.size()) >= n) {
    Date first = pupil.missed_roll_listings.front();
    Date reached = pupil.missed_roll_listings[static_cast<std::size_t>(n - 1)];
    // The day of a sync, not of the register: raised even once the calendar has run out.
    if (reached >= from && reached <= through) {
      std::string summary = "not named by the exports for " + std::to_string(n) +
                            " syncs in a row (" + first.iso() + " to " + reached.iso() +
                            ") and no leaving date recorded: possibly missing education";
      raise(events, "missing_education.vanished", pupil, reg, first.iso(), reached, first, reached,
            summary,
            {{"reason", "vanished"}, {"last_named_before", first.iso()}, {"syncs_missed", n}});
    }
  }
  if (!settings.leavers) return events;
  for (const auto& period : pupil.on_roll) {
    if (!period.left || !inWindow(*period.left, reg, from, through)) continue;
    Date leftOn = *period.left;
    Date runFrom = leftOn;
    int run = openUnauthorisedRun(reg, pupil.on_roll, leftOn, &runFrom);
    bool unknown = destinationUnknown(period);
    if (run == 0 && !unknown) continue;
    std::string why;
    if (run > 0)
      why = "an open run of " + std::to_string(run) +
            " school day(s) of unauthorised absence "
            "since " +
            runFrom.iso();
    if (unknown) why += std::string(why.empty() ? "" : " and ") + "no known destination";
    nlohmann::json details = {{"reason", "leaver"},
                              {"leaving_date", leftOn.iso()},
                              {"deletion_ground", period.leaving_reason},
                              {"destination", unknown ? "" : period.destination},
                              {"unauthorised_run_days", run}};
    if (run > 0) details["unauthorised_run_from"] = runFrom.iso();
    raise(events, "missing_education.leaver", pupil, reg, leftOn.iso(), leftOn,
          run > 0 ? runFrom : leftOn, leftOn,
          "left on " + leftOn.iso() + " with " + why + ": possibly missing education", details);
  }
  return events;
}

}  // namespace markbridge
