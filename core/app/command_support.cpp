#include "core/app/command_support.h"

#include <spdlog/spdlog.h>

#include <map>

#include "core/domain/logging.h"

namespace markbridge {

Args parseArgs(const std::vector<std::string>& argv) {
  Args args;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const auto& a = argv[i];
    const std::map<std::string, std::string*> valued = {
        {"--config", &args.config}, {"--source", &args.source}, {"--policy", &args.policy},
        {"--state", &args.state},   {"--sink", &args.sink},     {"--compare", &args.compare},
        {"--from", &args.from},     {"--to", &args.to},         {"--format", &args.format},
        {"--out", &args.out}};
    if (auto option = valued.find(a); option != valued.end()) {
      if (i + 1 >= argv.size()) {
        args.error = a + " needs a value";
        break;
      }
      *option->second = argv[++i];
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

std::unique_ptr<Gateway> openGateway(const Args& args, std::ostream& err, Gateway::Store store) {
  if (args.config.empty()) {
    err << "markbridge " << args.command << ": --config FILE is required\n";
    return nullptr;
  }
  std::vector<Problem> problems;
  auto config = loadGatewayConfig(args.config, problems);
  if (problems.empty()) {
    try {
      spdlog::set_level(spdlog::level::from_str(config.log_level));
      escapeTerminalLog();
      return std::make_unique<Gateway>(std::move(config), store);
    } catch (const ProblemError& e) {
      problems = e.problems();
    }
  }
  err << "configuration problems (" << problems.size() << "):\n";
  printProblems(err, problems);
  return nullptr;
}

}  // namespace markbridge
