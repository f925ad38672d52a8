#include "core/rules/digest.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/domain/codes.h"
#include "core/domain/digest.h"
#include "core/rules/engine/policy.h"

namespace markbridge {
namespace {

using Json = nlohmann::json;

// The absences (authorised and unauthorised sessions) among a period's sessions by code.
int sessionsOf(const std::map<std::string, int>& byCode) {
  int n = 0;
  for (const auto& [text, count] : byCode) {
    auto code = Code::fromString(text);
    if (code && code->isPossible() &&
        (code->category() == Category::Authorised || code->category() == Category::Unauthorised))
      n += count;
  }
  return n;
}

double round1(double v) {
  return std::round(v * 10) / 10;
}

// What a digest says of one pupil's entry.
struct Figures {
  const SinkEvent* entry = nullptr;
  double value = 0;
  int sessions = 0;
  double percent = 0;
  bool operator==(const Figures& o) const {
    return value == o.value && sessions == o.sessions && percent == o.percent;
  }
};

Figures figuresOf(const SinkEvent& e) {
  Figures f;
  f.entry = &e;
  if (e.action) {
    auto it = e.action->details.find("value");
    if (it != e.action->details.end() && it->is_number()) f.value = round1(it->get<double>());
  }
  f.sessions = sessionsOf(e.sessions_by_code);
  f.percent = round1(e.attendance_percent);
  return f;
}

Json pupilJson(const SinkPupil& p) {
  return {{"upn", p.upn},         {"mis_id", p.mis_id}, {"forename", p.forename},
          {"surname", p.surname}, {"year", p.year},     {"reg_group", p.reg_group}};
}

// upn -> the pupil's latest entry in the period.
using Listing = std::map<std::string, Figures>;

bool listedBefore(const SinkPupil& a, const SinkPupil& b) {
  return std::tie(a.year, a.reg_group, a.surname, a.forename, a.upn) <
         std::tie(b.year, b.reg_group, b.surname, b.forename, b.upn);
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::vector<DigestRule> digestRules(const std::vector<Policy>& policies) {
  std::vector<DigestRule> out;
  auto add = [&](const std::string& id, const PolicyRule& rule) {
    if (rule.action.kind != "digest" || !rule.action.details.is_object()) return;
    out.push_back(
        {id, rule.action.details.value("every", "week"), rule.action.details.value("to", "")});
  };
  for (const auto& policy : policies) {
    for (const auto& rule : policy.rules()) add(policy.name() + "." + rule.id, rule);
    for (const auto& ladder : policy.ladders())
      for (std::size_t s = 0; s < ladder.stages().size(); ++s)
        add(ladder.stageRuleId(policy.name(), s), ladder.stages()[s]);
  }
  return out;
}

DigestPeriod digestPeriod(std::string_view every, Date day) {
  if (every == "day") return {day, day};
  return {day.monday(), day.monday() + 6};
}

std::string digestUpn(std::string_view rule) {
  return "digest:" + std::string(rule);
}

bool isDigestUpn(std::string_view upn) {
  return upn.rfind("digest:", 0) == 0;
}

std::vector<Event> planDigests(const std::vector<DigestRule>& rules,
                               const std::vector<SinkEvent>& members, Date from, Date today) {
  std::vector<Event> digests;
  for (const auto& rule : rules) {
    // period start -> its listing
    std::map<Date, Listing> periods;
    for (const auto& e : members) {
      if (e.rule != rule.rule || e.type != kDigestEntryType) continue;
      auto& listing = periods[digestPeriod(rule.every, e.occurred_on).from];
      auto& slot = listing[e.pupil.upn];
      if (!slot.entry || std::tie(slot.entry->occurred_on, slot.entry->event_id) <
                             std::tie(e.occurred_on, e.event_id))
        slot = figuresOf(e);
    }
    for (const auto& [start, listing] : periods) {
      auto period = digestPeriod(rule.every, start);
      if (period.from < from || period.to >= today) continue;
      // The period just before: the week before, or the weekday before (Friday for a Monday).
      Date previousDay = period.from - 1;
      while (rule.every == "day" && previousDay.isWeekend()) previousDay = previousDay - 1;
      auto before = periods.find(digestPeriod(rule.every, previousDay).from);
      const Listing* previous = before == periods.end() ? nullptr : &before->second;

      std::vector<const Figures*> order;
      for (const auto& [upn, f] : listing) order.push_back(&f);
      std::sort(order.begin(), order.end(), [](const Figures* a, const Figures* b) {
        return listedBefore(a->entry->pupil, b->entry->pupil);
      });
      Json pupils = Json::array(), gone = Json::array();
      std::size_t fresh = 0, moved = 0;
      std::map<std::string, int> sessions;
      for (const auto* f : order) {
        const auto& e = *f->entry;
        Json p = pupilJson(e.pupil);
        p["occurred_on"] = e.occurred_on.iso();
        p["value"] = f->value;
        p["sessions"] = f->sessions;
        p["sessions_by_code"] = e.sessions_by_code;
        p["attendance_percent"] = f->percent;
        p["summary"] = e.summary;
        const Figures* was = nullptr;
        if (previous)
          if (auto it = previous->find(e.pupil.upn); it != previous->end()) was = &it->second;
        if (!was) {
          p["change"] = "new";
          ++fresh;
        } else if (!(*was == *f)) {
          p["change"] = "moved";
          p["before"] = {{"value", was->value},
                         {"sessions", was->sessions},
                         {"attendance_percent", was->percent}};
          ++moved;
        } else {
          p["change"] = "unchanged";
        }
        for (const auto& [code, n] : e.sessions_by_code) sessions[code] += n;
        pupils.push_back(std::move(p));
      }
      if (previous) {
        std::vector<const Figures*> left;
        for (const auto& [upn, f] : *previous)
          if (!listing.count(upn)) left.push_back(&f);
        std::sort(left.begin(), left.end(), [](const Figures* a, const Figures* b) {
          return listedBefore(a->entry->pupil, b->entry->pupil);
        });
        for (const auto* f : left) gone.push_back(pupilJson(f->entry->pupil));
      }
      Json digest = {
          {"every", rule.every},
          {"to", rule.to},
          {"pupils", pupils},
          {"gone", gone},
          {"counts",
           {{"pupils", pupils.size()}, {"new", fresh}, {"moved", moved}, {"gone", gone.size()}}}};

      Event d;
      d.rule = rule.rule;
      d.type = std::string(kDigestType);
      d.pupil.upn = digestUpn(rule.rule);
      d.occurred_on = period.to;
      d.from = period.from;
      d.to = period.to;
      d.sessions_by_code = sessions;
      d.digest = digest.dump();
      // Same entries, same figures: same id. Anything else is a new episode over the period,
      // which revises the digest already recorded for it.
      d.episode = period.from.iso() + "/" + sha256Hex(d.digest).substr(0, 16);
      d.id = Event::makeId(d.rule, d.pupil.upn, d.episode);
      std::string when =
          rule.every == "day" ? period.from.iso() : period.from.iso() + " to " + period.to.iso();
      d.summary = std::string(rule.every == "day" ? "Daily" : "Weekly") + " digest of " +
                  rule.rule + " for " + (rule.to.empty() ? "the school" : rule.to) + ", " + when +
                  ": " + plural(pupils.size(), "pupil", "pupils") + " (" + std::to_string(fresh) +
                  " new, " + std::to_string(moved) + " with figures moved); " +
                  std::to_string(gone.size()) + " no longer listed";
      Json action = {{"text", d.summary}, {"due_on", (period.to + 1).iso()}};
      if (!rule.to.empty()) {
        action["assignee_role"] = rule.to;
        action["alert"] = Json::array({rule.to});
      }
      d.action = action.dump();
      digests.push_back(std::move(d));
    }
  }
  return digests;
}

}  // namespace markbridge
