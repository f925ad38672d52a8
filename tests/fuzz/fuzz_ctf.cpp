// libFuzzer: the Common Transfer File reader.
#include "connectors/inbound/ctf_xml/ctf_xml_connector.h"
#include "core/domain/utf8.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace markbridge;
  static auto ctf = fuzz::connector({{"name", "ctf"}, {"type", "ctf_xml"}});
  auto batch = static_cast<CtfXmlConnector*>(ctf.get())->parse(
      std::string_view(reinterpret_cast<const char*>(data), size), "f.xml");
  if (!batch.ok() && !batch.marks.empty()) __builtin_trap();
  for (const auto& p : batch.pupils)  // only well-formed UTF-8 is ever handed on to be stored
    if (!isValidUtf8(p.surname) || !isValidUtf8(p.forename) || p.surname.size() > 400)
      __builtin_trap();
  return 0;
}
