#pragma once
// An XML export (CTF, School Census) loaded for reading, with every node locatable as
// file:line:column for messages. A DOCTYPE is refused before parsing: these formats never carry
// one, and its entities must never be expanded (billion laughs, external entities).

#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/problem.h"

namespace markbridge {

class XmlDocument {
 public:
  // Problems (not XML, truncated, DOCTYPE) are appended with the file and line.
  bool load(std::string_view bytes, const std::string& origin, std::vector<Problem>& problems);
  pugi::xml_node root() const { return document_.document_element(); }
  // 1-based line and column of a node's start (its text, for a text-only element).
  std::pair<int, int> position(const pugi::xml_node& node) const;
  std::pair<int, int> positionOfOffset(std::ptrdiff_t offset) const;

 private:
  pugi::xml_document document_;
  std::vector<std::size_t> lineStarts_;
};

// The trimmed text of child `name`, empty when absent.
std::string_view childText(const pugi::xml_node& node, const char* name);
// `a/b/c` below `node`; an empty node when any step is missing.
pugi::xml_node path(const pugi::xml_node& node, std::string_view steps);

}  // namespace markbridge
