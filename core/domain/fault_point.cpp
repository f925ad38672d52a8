#include "core/domain/fault_point.h"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <string>

namespace markbridge {
namespace {

struct WantedFault {
  std::string name;  // empty: no fault wanted
  long pass = 1;     // the pass at which the process dies
};

WantedFault wantedFault() {
  WantedFault wanted;
  const char* text = std::getenv("MARKBRIDGE_FAULT");
  if (!text) return wanted;
  std::string_view spec(text);
  auto colon = spec.rfind(':');
  if (colon != std::string_view::npos) {
    long pass = 0;
    auto digits = spec.substr(colon + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pass);
    if (error == std::errc() && end == digits.data() + digits.size() && pass > 0) {
      wanted.pass = pass;
      spec = spec.substr(0, colon);
    }
  }
  wanted.name = std::string(spec);
  return wanted;
}

}  // namespace

void faultPoint(std::string_view name) {
  static const WantedFault wanted = wantedFault();
  static std::atomic<long> passes{0};
  if (wanted.name.empty() || name != wanted.name) return;
  if (passes.fetch_add(1) + 1 == wanted.pass) ::kill(::getpid(), SIGKILL);
}

}  // namespace markbridge
