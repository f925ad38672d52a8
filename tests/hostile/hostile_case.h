#pragma once
// The hostile-input corpus: files made at test time, by a seeded generator, from the valid
// fixtures in tests/fixtures/ (truncated, re-encoded, bad bytes, columns shuffled, huge fields,
// deep nesting, wrong dates, codes and UPNs, duplicates...). Each file carries the outcome the
// gateway must give it.

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace markbridge::hostile {

enum class Expect {
  AcceptExact,       // stored register equal to the one the clean file gives
  Refuse,            // refused whole, a problem naming file:line (or element) and `value`
  StoreWithWarning,  // stored, with a counted warning (a mark on a day that is not a school day)
  StoreQuietly,      // stored, no warning, no problem (a missing mark where no session is possible)
  NothingForTheRow,  // no warning, no problem, and nothing stored on `value` (an ISO date): a
                     // blank or `-` for a session after today is no mark at all
  RefuseOrRepair,    // refused whole, or stored with a counted warning as valid UTF-8, its marks
                   // equal to the clean file's (bad bytes where a Windows-1252 fallback may apply)
};
const char* toString(Expect expect);

struct HostileCase {
  std::string format;  // sims_long, sims_grid, classcharts, ctf, census, mis_rest, mis_page
  std::string kind;    // the mutation, e.g. "bad_upn_check"
  std::string name;    // unique file name, e.g. "sims_long-bad_upn_check-003.csv"
  std::string bytes;   // the file (mis_rest: a JSON array of the items the MIS serves)
  std::string clean;   // the clean file (UTF-8) whose register an accepted file must give
  Expect expect = Expect::Refuse;
  std::string value;  // what a refusal must name, when it can name it (empty: file:line only)
};

// One seeded random source; std::mt19937's sequence is fixed by the standard, and only its raw
// output is used (distributions differ between standard libraries).
class Dice {
 public:
  explicit Dice(uint32_t seed) : engine_(seed) {}
  std::size_t below(std::size_t n) { return n == 0 ? 0 : engine_() % n; }
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  std::mt19937 engine_;
};

std::string readFixture(const std::filesystem::path& file);

// Every case, in a fixed order, from the fixtures under `fixtures`.
std::vector<HostileCase> csvCases(const std::filesystem::path& fixtures, Dice& dice);
std::vector<HostileCase> xmlCases(const std::filesystem::path& fixtures, Dice& dice);
std::vector<HostileCase> misCases(Dice& dice);
std::vector<HostileCase> misPageCases(const std::filesystem::path& fixtures, Dice& dice);
std::vector<HostileCase> hostileCorpus(const std::filesystem::path& fixtures, uint32_t seed);

// Text helpers shared by the generators.
std::string toWindows1252(const std::string& utf8);  // Latin-1 range only
std::string toUtf16leWithBom(const std::string& utf8);
std::string replaceAll(std::string text, const std::string& from, const std::string& to);

}  // namespace markbridge::hostile
