// libFuzzer: the School Census reader.
#include "connectors/inbound/census_xml/census_xml_connector.h"
#include "core/domain/utf8.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace markbridge;
  static auto census = fuzz::connector({{"name", "census"}, {"type", "census_xml"}});
  auto batch = static_cast<CensusXmlConnector*>(census.get())
                   ->parse(std::string_view(reinterpret_cast<const char*>(data), size), "c.xml");
  if (!batch.ok() && !batch.totals.empty() && !batch.pupils.empty()) __builtin_trap();
  for (const auto& p : batch.pupils)  // only well-formed UTF-8 is ever handed on to be stored
    if (!isValidUtf8(p.surname) || !isValidUtf8(p.forename) || !isValidUtf8(p.year_group))
      __builtin_trap();
  return 0;
}
