#pragma once
// What pugixml does not check before it builds a document, checked in one pass over the UTF-8
// text with no allocation that grows with the input: characters XML does not allow (control
// characters, &#0;), undeclared entities (&xxe; would be kept literally), a duplicate attribute,
// content before or after the root element, and the limits that keep memory bounded whatever
// the file (depth, element count, attributes, text size). Anything else pugixml reports.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace markbridge {

struct XmlLimits {
  // A CTF or census return for one school is a few MB; anything bigger is refused unread.
  static constexpr std::size_t kMaxFileBytes = std::size_t{32} << 20;  // 32 MiB
  static constexpr int kMaxDepth = 32;  // CTF and census nest about 10 deep
  // Elements, attributes and pieces of text: what pugixml keeps a node (64 bytes) for. A full CTF
  // (contacts, SEN, assessments) has a few hundred a pupil.
  static constexpr std::size_t kMaxNodes = 1'500'000;
  static constexpr std::size_t kMaxAttributes = 16;       // on one element
  static constexpr std::size_t kMaxTextBytes = 64 << 10;  // one element's text or attribute value
};

struct XmlFault {
  std::size_t offset = 0;  // into the text, for line:column
  std::string value;       // what was found, shown safely (an excerpt, a byte in hex)
  std::string message;
};

// The first fault in `utf8` (already known to be well-formed UTF-8), or nothing.
std::optional<XmlFault> findXmlFault(std::string_view utf8);

}  // namespace markbridge
