// libFuzzer: the CSV marks reader (SIMS long and grid, Class Charts), any bytes in any encoding.
#include "connectors/inbound/common/csv_marks.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace markbridge;
  static auto sims = fuzz::connector({{"name", "sims"}, {"type", "sims_csv"}});
  static auto classcharts = fuzz::connector({{"name", "cc"}, {"type", "classcharts_csv"}});
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (auto* c : {sims.get(), classcharts.get()}) {
    auto batch = static_cast<CsvMarksConnector*>(c)->parse(bytes, "fuzz.csv");
    // A batch is either clean or refused with at least one located problem, never both.
    if (!batch.ok() && !batch.marks.empty()) __builtin_trap();
  }
  return 0;
}
