// libFuzzer: the SIMS CommandReporter XML reader (sims_reporter_xml).
#include "connectors/inbound/sims_reporter/sims_reporter_connector.h"
#include "core/domain/utf8.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace markbridge;
  static auto reporter = fuzz::connector({{"name", "sims"},
                                          {"type", "sims_reporter_xml"},
                                          {"columns", {{"mark", "Attendance Mark"}}}});
  auto batch = static_cast<SimsReporterXmlConnector*>(reporter.get())
                   ->parse(std::string_view(reinterpret_cast<const char*>(data), size), "f.xml");
  if (!batch.ok() && !batch.marks.empty()) __builtin_trap();  // nothing half-imported
  for (const auto& p : batch.pupils)  // only well-formed UTF-8 is ever handed on to be stored
    if (!isValidUtf8(p.surname) || !isValidUtf8(p.forename) || p.surname.size() > 400)
      __builtin_trap();
  for (const auto& p : batch.problems)  // every refusal is located
    if (p.line <= 0 && p.location.empty() && p.message.find("empty") == std::string::npos &&
        p.message.find("bigger than") == std::string::npos)
      __builtin_trap();
  return 0;
}
