// `--school URN`: the commands over a trust's configuration, one school after another.

#include <sstream>

#include "core/app/command_support.h"
#include "core/app/commands.h"
#include "core/app/deployment_config.h"
#include "core/domain/logging.h"

namespace markbridge {
namespace {

int severity(int code) {
  switch (code) {
    case kExitStorage:
      return 7;
    case kExitConfig:
      return 6;
    case kExitCredentialsRefused:
      return 5;
    case kExitInputRejected:
      return 4;
    case kExitDeliveryRejected:
      return 3;
    case kExitSinkPaused:
      return 2;
    case kExitBusy:
      return 1;
    default:
      return code == kExitOk ? 0 : 6;
  }
}

// What a command does to one school only: it names an item, a pupil or files of one school.
std::string needsOneSchool(const Args& args) {
  const std::string& c = args.command;
  std::string action = args.files.empty() ? "" : args.files.front();
  if (c == "explain") return "a pupil is one school's";
  if (c == "import") return "the files are one school's export";
  if (c == "outbox" && (action == "show" || action == "discard" ||
                        (action == "retry" && args.files.size() > 1 && args.files[1] != "dead")))
    return "an outbox item number is one school's";
  if (c == "backtest" && !args.out.empty()) return "--out writes one school's report";
  if (c == "backtest" && args.format == "html") return "an HTML report is one school's page";
  return "";
}

// A CSV report of one school with a first column naming it; the header only for the first.
void withSchoolColumn(const std::string& csv, const std::string& urn, bool header,
                      std::ostream& out) {
  std::istringstream lines(csv);
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (first) {
      first = false;
      if (header) out << "school," << line << "\n";
      continue;
    }
    out << urn << "," << line << "\n";
  }
}

}  // namespace

int worstExit(int a, int b) {
  return severity(b) > severity(a) ? b : a;
}

int forEachSchool(const Args& args, std::ostream& out, std::ostream& err,
                  const std::function<int(const Args&, std::ostream&, std::ostream&)>& command) {
  if (args.config.empty()) return command(args, out, err);
  std::vector<Problem> problems;
  auto deployment = loadDeployment(args.config, problems);
  // A single school's file: the command as it always was (--school, if given, is checked there).
  if (!deployment.many) return command(args, out, err);
  if (!problems.empty()) {
    err << "configuration problems (" << problems.size() << "):\n";
    printProblems(err, problems);
    return kExitConfig;
  }
  auto urns = deployment.urns();
  if (!args.school.empty() && !deployment.school(args.school)) {
    err << "markbridge " << args.command << ": no school with URN " << oneLine(args.school)
        << " in " << args.config << "; its schools are " << urnList(urns) << "\n";
    return kExitConfig;
  }
  if (!args.school.empty()) urns = {args.school};
  // The console's users file is the service's, one for every school: `user` runs once, its
  // password prompt straight to the terminal.
  if (args.command == "user") {
    Args one = args;
    one.school = urns.front();
    return command(one, out, err);
  }
  if (auto why = needsOneSchool(args); !why.empty() && urns.size() > 1) {
    err << "markbridge " << args.command << ": " << why << ": name one with --school URN ("
        << urnList(urns) << ")\n";
    return kExitConfig;
  }
  const bool csv = args.command == "backtest" && args.format == "csv";
  bool header = true;  // a CSV's header line is still to be printed
  int code = kExitOk;
  for (std::size_t i = 0; i < urns.size(); ++i) {
    Args one = args;
    one.school = urns[i];
    const auto* school = deployment.school(urns[i]);
    // What goes wrong is said on stderr, each line naming its school, and so are log lines.
    LogSchool about(urns[i]);
    std::ostringstream said;
    int c = kExitOk;
    if (csv) {
      std::ostringstream report;
      c = command(one, report, said);
      withSchoolColumn(report.str(), urns[i], header, out);
      header = header && report.str().empty();
    } else {
      out << (i == 0 ? "" : "\n") << "== school " << school->school.urn << " "
          << oneLine(school->school.name) << " ==\n";
      c = command(one, out, said);
    }
    std::istringstream lines(said.str());
    for (std::string line; std::getline(lines, line);)
      err << "school " << urns[i] << ": " << line << "\n";
    code = worstExit(code, c);
  }
  if (urns.size() > 1 && code != kExitOk)
    err << "markbridge " << args.command << ": exit code " << code
        << ", the worst of the schools' (see each school's heading)\n";
  return code;
}

}  // namespace markbridge
