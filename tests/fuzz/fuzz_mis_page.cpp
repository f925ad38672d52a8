// libFuzzer: one page of the MIS REST API's JSON.
#include <cstdint>
#include <string_view>

#include "connectors/inbound/mis_rest/mis_rest_config.h"
#include "connectors/inbound/mis_rest/mis_rest_page.h"
#include "core/domain/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace markbridge;
  static const MisFieldPaths paths;
  // The Wonde shape: everything under `data`, the UPN and the admission register in the
  // student's education_details.
  static const MisFieldPaths nested = misPreset("wonde")->fields;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const auto* p : {&paths, &nested}) {
    auto page = parseMisPage(body, *p);
    if (!page.error.empty() && (!page.items.empty() || page.next)) __builtin_trap();
    for (const auto& item : page.items)  // well-formed UTF-8, within the limits
      if (!isValidUtf8(item.surname) || !isValidUtf8(item.forename) || item.surname.size() > 400 ||
          !isValidUtf8(item.admission_date) || item.admission_date.size() > 10 ||
          !isValidUtf8(item.leaving_date) || item.leaving_date.size() > 10)
        __builtin_trap();
  }
  return 0;
}
