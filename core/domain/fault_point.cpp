#include "core/domain/fault_point.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>

namespace markbridge {

void faultPoint(std::string_view name) {
  static const char* wanted = std::getenv("MARKBRIDGE_FAULT");
  if (wanted && name == wanted) ::kill(::getpid(), SIGKILL);
}

}  // namespace markbridge
