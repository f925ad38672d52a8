#include "core/app/command_support.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "core/domain/logging.h"
#include "schedules/london_time.h"

namespace markbridge {

Args parseArgs(const std::vector<std::string>& argv) {
  Args args;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const auto& a = argv[i];
    const std::map<std::string, std::string*> valued = {
        {"--config", &args.config}, {"--source", &args.source}, {"--policy", &args.policy},
        {"--state", &args.state},   {"--sink", &args.sink},     {"--compare", &args.compare},
        {"--from", &args.from},     {"--to", &args.to},         {"--format", &args.format},
        {"--out", &args.out},       {"--role", &args.role},     {"--school", &args.school}};
    if (auto option = valued.find(a); option != valued.end()) {
      if (i + 1 >= argv.size()) {
        args.error = a + " needs a value";
        break;
      }
      *option->second = argv[++i];
    } else if (a == "--dry-run") {
      args.dry_run = true;
    } else if (a.rfind("--", 0) == 0) {
      args.error = "unknown option " + a;
    } else if (args.command.empty()) {
      args.command = a;
    } else {
      args.files.push_back(a);
    }
  }
  return args;
}

std::string ruleLabel(const RuleSet& rules, const std::string& ruleId) {
  for (const auto& policy : rules.policies())
    for (const auto& ladder : policy.ladders())
      for (std::size_t s = 0; s < ladder.stages().size(); ++s)
        if (ladder.stageRuleId(policy.name(), s) == ruleId)
          return "ladder " + policy.name() + "." + ladder.id() + " stage " + ladder.stages()[s].id;
  return "rule " + ruleId;
}

std::string ruleLabelOfPayload(const RuleSet& rules, const std::string& payload) {
  auto event = nlohmann::json::parse(payload, nullptr, false);
  if (!event.is_object() || !event.contains("rule") || !event["rule"].is_string()) return "";
  return ruleLabel(rules, event["rule"].get<std::string>());
}

std::string londonTime(int64_t utcSeconds) {
  int minutes = london::localMinutes(utcSeconds);
  char clock[32];
  std::snprintf(clock, sizeof clock, " %02d:%02d:%02d", minutes / 60, minutes % 60,
                static_cast<int>(utcSeconds % 60));
  return london::localDate(utcSeconds).iso() + clock;
}

std::string utcMs(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%SZ", &tm);
  return text;
}

namespace {

std::string folded(const std::string& text) {
  std::string out;
  bool space = false;
  for (unsigned char c : text) {
    if (std::isspace(c) || c == ',') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

}  // namespace

std::vector<Pupil> findPupils(RegisterStore& store, const std::string& named) {
  std::string upper = named;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<std::string> upns;
  auto ids = store.pupilIds();
  // Exactly one way of naming is tried after another: a full UPN, an admission number, the
  // masked form, then names.
  for (const auto& [upn, misId] : ids)
    if (upn == upper) upns.push_back(upn);
  if (upns.empty())
    for (const auto& [upn, misId] : ids)
      if (!misId.empty() && misId == named) upns.push_back(upn);
  if (upns.empty() && upper.find("...") != std::string::npos)
    for (const auto& [upn, misId] : ids)
      if (maskUpn(upn) == upper) upns.push_back(upn);
  std::vector<Pupil> found;
  if (upns.empty()) {
    std::string wanted = folded(named);
    if (wanted.empty()) return found;
    for (const auto& [upn, misId] : ids) {
      auto pupil = store.pupil(upn);
      if (!pupil) continue;
      if (folded(pupil->forename + " " + pupil->surname) == wanted ||
          folded(pupil->surname + " " + pupil->forename) == wanted)
        found.push_back(std::move(*pupil));
    }
    std::sort(found.begin(), found.end(),
              [](const Pupil& a, const Pupil& b) { return a.upn < b.upn; });
    return found;
  }
  std::sort(upns.begin(), upns.end());
  for (const auto& upn : upns)
    if (auto pupil = store.pupil(upn)) found.push_back(std::move(*pupil));
  return found;
}

std::string oneLine(const std::string& text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return escapeLogText(text);
  return text;
}

void printProblems(std::ostream& err, const std::vector<Problem>& problems) {
  constexpr std::size_t kShown = 20;
  for (std::size_t i = 0; i < problems.size() && i < kShown; ++i)
    err << "  " << oneLine(problems[i].str()) << "\n";
  if (problems.size() > kShown) err << "  ... and " << problems.size() - kShown << " more\n";
}

std::optional<GatewayConfig> loadConfigOrSay(const Args& args, std::ostream& err) {
  if (args.config.empty()) {
    err << "markbridge " << args.command << ": --config FILE is required\n";
    return std::nullopt;
  }
  std::vector<Problem> problems;
  auto config = loadGatewayConfig(args.config, problems, args.school);
  if (problems.empty()) return config;
  err << "configuration problems (" << problems.size() << "):\n";
  printProblems(err, problems);
  return std::nullopt;
}

std::unique_ptr<Gateway> openGateway(const Args& args, std::ostream& err, Gateway::Store store,
                                     Gateway::Connectors connectors) {
  if (args.config.empty()) {
    err << "markbridge " << args.command << ": --config FILE is required\n";
    return nullptr;
  }
  std::vector<Problem> problems;
  auto config = loadGatewayConfig(args.config, problems, args.school);
  if (problems.empty()) {
    try {
      spdlog::set_level(spdlog::level::from_str(config.log_level));
      escapeTerminalLog();
      return std::make_unique<Gateway>(std::move(config), store, connectors);
    } catch (const ProblemError& e) {
      problems = e.problems();
    }
  }
  err << "configuration problems (" << problems.size() << "):\n";
  printProblems(err, problems);
  return nullptr;
}

}  // namespace markbridge
