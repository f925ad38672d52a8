// libFuzzer: the School Census reader.
#include "connectors/inbound/census_xml/census_xml_connector.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace markbridge;
  static auto census = fuzz::connector({{"name", "census"}, {"type", "census_xml"}});
  auto batch = static_cast<CensusXmlConnector*>(census.get())
                   ->parse(std::string_view(reinterpret_cast<const char*>(data), size), "c.xml");
  if (!batch.ok() && !batch.totals.empty() && !batch.pupils.empty()) __builtin_trap();
  return 0;
}
