#include "core/domain/json_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace markbridge {
namespace {

// 1-based line and column of the byte at `offset` (0-based) in `text`.
std::pair<int, int> lineAndColumn(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  int line = 1;
  std::size_t lineStart = 0;
  for (std::size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') ++line, lineStart = i + 1;
  return {line, static_cast<int>(offset - lineStart) + 1};
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error
// while parsing value - invalid literal; last read: '{x'" without what the problem already says.
std::string detail(const std::string& what) {
  auto column = what.find("column ");
  auto colon = what.find(": ", column == std::string::npos ? 0 : column);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

std::optional<nlohmann::json> parseJsonText(std::string_view text, const std::string& file,
                                            std::vector<Problem>& problems) {
  auto refuse = [&](int line, int column, const std::string& message) {
    problems.push_back(Problem{file, line, column, "", "", message});
    return std::nullopt;
  };
  if (text.size() >= 2 &&
      ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF')))
    return refuse(0, 0, "is UTF-16 text: save it as UTF-8");
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the byte at which reading stopped.
    std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    auto [line, column] = lineAndColumn(text, offset);
    // The byte read last: a comment starts with '/', which JSON never has outside a string.
    bool comment =
        offset < text.size() && (text[offset] == '/' || (offset > 0 && text[offset - 1] == '/'));
    std::string why = detail(e.what());
    if (comment)
      why = "comments (// or /* */) are not allowed in JSON: remove them";
    else if (why.find("ill-formed UTF-8") != std::string::npos)
      why = "a string is not UTF-8 text (save the file as UTF-8): " + why;
    return refuse(line, column, "is not valid JSON: " + why);
  } catch (const nlohmann::json::exception& e) {  // a number out of range
    return refuse(0, 0, std::string("is not valid JSON: ") + detail(e.what()));
  }
}

std::optional<nlohmann::json> readJsonFile(const std::filesystem::path& file, std::string_view what,
                                           std::vector<Problem>& problems,
                                           std::uintmax_t maxBytes) {
  errno = 0;  // what the failed open sets, not an older error
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    int error = errno;
    problems.push_back(Problem{file.string(), 0, 0, "", "",
                               "cannot open the " + std::string(what) +
                                   (error ? std::string(": ") + std::strerror(error) : "")});
    return std::nullopt;
  }
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > maxBytes) {
      problems.push_back(Problem{file.string(), 0, 0, "", "",
                                 "is larger than " + std::to_string(maxBytes / 1024) +
                                     " KiB: too large for a " + std::string(what)});
      return std::nullopt;
    }
  }
  if (in.bad()) {
    problems.push_back(
        Problem{file.string(), 0, 0, "", "", "cannot read the " + std::string(what)});
    return std::nullopt;
  }
  return parseJsonText(text, file.string(), problems);
}

}  // namespace markbridge
