#include "connectors/inbound/common/xml_document.h"

#include <algorithm>
#include <cctype>

namespace markbridge {
namespace {

bool hasDoctype(std::string_view bytes) {
  // Case-insensitive search for "<!DOCTYPE" (also "<!ENTITY" outside one).
  for (std::size_t at = bytes.find("<!"); at != std::string_view::npos;
       at = bytes.find("<!", at + 2)) {
    std::string word;
    for (std::size_t i = at + 2; i < bytes.size() && i < at + 9; ++i)
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(bytes[i])));
    if (word.rfind("DOCTYPE", 0) == 0 || word.rfind("ENTITY", 0) == 0) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool XmlDocument::load(std::string_view bytes, const std::string& origin,
                       std::vector<Problem>& problems) {
  lineStarts_.assign(1, 0);
  for (std::size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i] == '\n') lineStarts_.push_back(i + 1);
  if (bytes.empty()) {
    problems.push_back(Problem{origin, 0, 0, "", "", "the file is empty: expected XML"});
    return false;
  }
  if (hasDoctype(bytes)) {
    problems.push_back(Problem{origin, 0, 0, "", "<!DOCTYPE",
                               "refused: the file declares a DOCTYPE or entities; CTF and census "
                               "files never do, and entities are never expanded"});
    return false;
  }
  auto result =
      document_.load_buffer(bytes.data(), bytes.size(), pugi::parse_default, pugi::encoding_auto);
  if (!result) {
    auto [line, column] = positionOfOffset(result.offset);
    problems.push_back(Problem{
        origin, line, column, "", "",
        std::string("not well-formed XML (truncated or damaged?): ") + result.description()});
    return false;
  }
  return true;
}

std::pair<int, int> XmlDocument::positionOfOffset(std::ptrdiff_t offset) const {
  if (offset < 0 || lineStarts_.empty()) return {0, 0};
  auto at = static_cast<std::size_t>(offset);
  auto next = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), at);
  auto line = static_cast<int>(next - lineStarts_.begin());
  return {line, static_cast<int>(at - *(next - 1)) + 1};
}

std::pair<int, int> XmlDocument::position(const pugi::xml_node& node) const {
  auto text = node.first_child();
  return positionOfOffset(text && text.type() == pugi::node_pcdata ? text.offset_debug()
                                                                   : node.offset_debug());
}

std::string_view childText(const pugi::xml_node& node, const char* name) {
  return trim(node.child(name).child_value());
}

pugi::xml_node path(const pugi::xml_node& node, std::string_view steps) {
  pugi::xml_node at = node;
  while (at && !steps.empty()) {
    auto slash = steps.find('/');
    std::string step(steps.substr(0, slash));
    at = at.child(step.c_str());
    steps = slash == std::string_view::npos ? std::string_view{} : steps.substr(slash + 1);
  }
  return at;
}

}  // namespace markbridge
