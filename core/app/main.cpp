#include <iostream>
#include <string>
#include <vector>

#include "core/app/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return markbridge::runCommand(args, std::cout, std::cerr);
}
