#pragma once
// An XML export (CTF, School Census) loaded for reading, with every node locatable as
// file:line:column for messages. Before pugixml builds anything the file is refused when it is
// too big, not in the encoding it declares (UTF-8 when it declares none), declares a DOCTYPE or
// entities (never expanded: billion laughs, external entities), or is not well-formed in a way
// pugixml lets through (connectors/inbound/common/xml_well_formed.h), so memory stays bounded
// and nothing of a damaged file is read.

#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/problem.h"

namespace markbridge {

// Line and column (in characters) of a byte offset, from a checkpoint every few KB: a few bytes
// of index per 4 KB of text, whatever the number of lines.
class LineIndex {
 public:
  void build(std::string_view text);
  std::pair<int, int> at(std::size_t offset) const;

 private:
  static constexpr std::size_t kBlock = 4096;
  struct Checkpoint {
    int line;
    int column;  // of the block's first byte
  };
  std::string_view text_;
  std::vector<Checkpoint> checkpoints_;
};

class XmlDocument {
 public:
  // Problems (too big, wrong encoding, not XML, truncated, DOCTYPE) are appended with the file,
  // line and column. `bytes` must outlive the document (messages point into them).
  bool load(std::string_view bytes, const std::string& origin, std::vector<Problem>& problems);
  pugi::xml_node root() const { return document_.document_element(); }
  // 1-based line and column of a node's start (its text, for a text-only element).
  std::pair<int, int> position(const pugi::xml_node& node) const;
  std::pair<int, int> positionOfOffset(std::ptrdiff_t offset) const;
  // The trimmed text of `parent`'s child `name` (empty when absent), or nothing with a problem
  // naming the element, its length and the limit when it has more than `maxChars` characters
  // (the text itself is not shown: it may be a pupil's name), or when the child is given twice.
  std::optional<std::string_view> boundedText(const pugi::xml_node& parent, const char* name,
                                              std::size_t maxChars,
                                              std::vector<Problem>& problems) const;

 private:
  bool refuse(std::size_t offset, std::string value, std::string message);
  // The text in UTF-8 (decoded into decoded_ when the file declares another encoding); false
  // with a problem when the bytes are not in the encoding the file declares.
  bool toUtf8(std::string_view bytes);

  pugi::xml_document document_;
  std::string decoded_;
  std::string_view text_;  // UTF-8: into the caller's bytes or decoded_
  LineIndex lines_;
  std::vector<Problem>* problems_ = nullptr;
  const std::string* origin_ = nullptr;
};

// The trimmed text of child `name`, empty when absent.
std::string_view childText(const pugi::xml_node& node, const char* name);
// An element name as .NET's XmlConvert.EncodeName wrote it, decoded: `_x0020_` (four hex digits,
// or eight for a character beyond U+FFFF) is the character it stands for, so
// `Legal_x0020_Surname` is "Legal Surname". Anything else is kept as written.
std::string decodeXmlName(std::string_view name);
// `a/b/c` below `node`; an empty node when any step is missing.
pugi::xml_node path(const pugi::xml_node& node, std::string_view steps);

}  // namespace markbridge
