#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <string>
#include <vector>

#include "core/app/commands.h"

int main(int argc, char** argv) {
  // Logs go to stderr; stdout carries the command's own report.
  spdlog::set_default_logger(spdlog::stderr_color_mt("markbridge"));
  std::vector<std::string> args(argv + 1, argv + argc);
  return markbridge::runCommand(args, std::cout, std::cerr);
}
