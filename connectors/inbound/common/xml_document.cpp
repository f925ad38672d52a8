#include "connectors/inbound/common/xml_document.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "connectors/inbound/common/xml_well_formed.h"
#include "core/domain/utf8.h"
#include "mapping/text_encoding.h"

namespace markbridge {
namespace {

// Where the first "<!DOCTYPE" (or "<!ENTITY" outside one) starts, case-insensitive, if anywhere.
std::optional<std::size_t> doctypeAt(std::string_view bytes) {
  for (std::size_t at = bytes.find("<!"); at != std::string_view::npos;
       at = bytes.find("<!", at + 2)) {
    std::string word;
    for (std::size_t i = at + 2; i < bytes.size() && i < at + 9; ++i)
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(bytes[i])));
    if (word.rfind("DOCTYPE", 0) == 0 || word.rfind("ENTITY", 0) == 0) return at;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The encoding named by an XML declaration at the very start, lower case; empty when none.
std::string declaredEncoding(std::string_view text) {
  if (!text.starts_with("<?xml")) return "";
  auto declaration = text.substr(0, std::min(text.find("?>"), std::size_t{200}));
  auto at = declaration.find("encoding");
  if (at == std::string_view::npos) return "";
  at += 8;
  while (at < declaration.size() && (declaration[at] == ' ' || declaration[at] == '=')) ++at;
  if (at >= declaration.size() || (declaration[at] != '"' && declaration[at] != '\'')) return "";
  auto end = declaration.find(declaration[at], at + 1);
  if (end == std::string_view::npos) return "";
  std::string name(declaration.substr(at + 1, end - at - 1));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace

void LineIndex::build(std::string_view text) {
  text_ = text;
  checkpoints_.clear();
  checkpoints_.reserve(text.size() / kBlock + 1);
  Checkpoint here{1, 1};
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i % kBlock == 0) checkpoints_.push_back(here);
    if (text[i] == '\n') {
      ++here.line;
      here.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++here.column;  // a character starts here (UTF-8 continuation bytes do not count)
    }
  }
  if (checkpoints_.empty()) checkpoints_.push_back(here);
}

std::pair<int, int> LineIndex::at(std::size_t offset) const {
  if (checkpoints_.empty()) return {0, 0};
  offset = std::min(offset, text_.size());
  std::size_t block = std::min(offset / kBlock, checkpoints_.size() - 1);
  Checkpoint here = checkpoints_[block];
  for (std::size_t i = block * kBlock; i < offset; ++i) {
    if (text_[i] == '\n') {
      ++here.line;
      here.column = 1;
    } else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) {
      ++here.column;
    }
  }
  return {here.line, here.column};
}

bool XmlDocument::refuse(std::size_t offset, std::string value, std::string message) {
  auto [line, column] = lines_.at(offset);
  problems_->push_back(Problem{*origin_, line, column, "", std::move(value), std::move(message)});
  return false;
}

bool XmlDocument::toUtf8(std::string_view bytes) {
  text_ = bytes;
  lines_.build(text_);
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    text_ = bytes.substr(3);
  } else if (bytes.starts_with("\xFE\xFF")) {
    return refuse(0, "UTF-16BE", "big-endian UTF-16 is not read: export the file as UTF-8");
  } else if (bytes.starts_with("\xFF\xFE")) {
    auto decoded = decodeToUtf8(bytes, TextEncoding::Utf16le);
    if (!decoded.error.empty()) return refuse(0, "UTF-16LE", decoded.error);
    decoded_ = std::move(decoded.utf8);
    text_ = decoded_;
  } else {
    auto encoding = declaredEncoding(bytes);
    if (encoding == "windows-1252" || encoding == "cp1252" || encoding == "iso-8859-1" ||
        encoding == "latin1") {
      // ISO-8859-1 is read as its superset Windows-1252, as browsers do: exporters that say
      // ISO-8859-1 write 0x80-0x9F as Windows-1252 punctuation, never as C1 controls.
      auto decoded = decodeToUtf8(bytes, TextEncoding::Windows1252);
      if (!decoded.error.empty()) {
        auto bad = std::find_if(bytes.begin(), bytes.end(), [](char c) {
          auto b = static_cast<unsigned char>(c);
          return b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D;
        });
        auto at = static_cast<std::size_t>(bad - bytes.begin());
        return refuse(at, at < bytes.size() ? hexByte(static_cast<unsigned char>(bytes[at])) : "",
                      "not well-formed: the file declares encoding \"" + encoding +
                          "\" and this byte is not a character in it");
      }
      decoded_ = std::move(decoded.utf8);
      text_ = decoded_;
    } else if (encoding == "us-ascii" || encoding == "ascii") {
      auto bad = std::find_if(bytes.begin(), bytes.end(),
                              [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
      if (bad != bytes.end())
        return refuse(static_cast<std::size_t>(bad - bytes.begin()),
                      hexByte(static_cast<unsigned char>(*bad)),
                      "not well-formed: the file declares encoding \"" + encoding +
                          "\" and this byte is not ASCII");
    } else if (!encoding.empty() && encoding != "utf-8" && encoding != "utf8") {
      return refuse(0, excerptUtf8(encoding),
                    "the file declares an encoding Markbridge does not read: export it as UTF-8");
    }
  }
  if (text_.data() == bytes.data() || text_.data() == bytes.data() + 3) {
    // UTF-8, declared or by default: every byte must be part of well-formed UTF-8.
    auto bad = firstInvalidUtf8(text_);
    if (bad != text_.size()) {
      auto byte = static_cast<unsigned char>(text_[bad]);
      return refuse(static_cast<std::size_t>(text_.data() - bytes.data()) + bad, hexByte(byte),
                    "not well-formed: the file is UTF-8 (declared, or by default) but byte " +
                        hexByte(byte) +
                        " here is not; a Windows-1252 export must say so in its declaration "
                        "(<?xml version=\"1.0\" encoding=\"windows-1252\"?>)");
    }
  }
  return true;
}

bool XmlDocument::load(std::string_view bytes, const std::string& origin,
                       std::vector<Problem>& problems) {
  problems_ = &problems;
  origin_ = &origin;
  if (bytes.empty()) {
    problems.push_back(Problem{origin, 0, 0, "", "", "the file is empty: expected XML"});
    return false;
  }
  if (bytes.size() > XmlLimits::kMaxFileBytes) {
    problems.push_back(Problem{origin, 0, 0, "", std::to_string(bytes.size()) + " bytes",
                               "refused: bigger than the limit of " +
                                   std::to_string(XmlLimits::kMaxFileBytes) +
                                   " bytes for one XML file"});
    return false;
  }
  if (!toUtf8(bytes)) return false;
  lines_.build(text_);
  if (auto at = doctypeAt(text_)) {
    auto [line, column] = positionOfOffset(static_cast<std::ptrdiff_t>(*at));
    problems.push_back(
        Problem{origin, line, column, "", "<!DOCTYPE",
                "refused: the file declares a DOCTYPE or entities; the MIS exports read here "
                "never do, and entities are never expanded"});
    return false;
  }
  if (auto fault = findXmlFault(text_))
    return refuse(fault->offset, std::move(fault->value), "not well-formed: " + fault->message);
  auto result =
      document_.load_buffer(text_.data(), text_.size(), pugi::parse_default, pugi::encoding_utf8);
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
  if (offset < 0) return {0, 0};
  return lines_.at(static_cast<std::size_t>(offset));
}

std::pair<int, int> XmlDocument::position(const pugi::xml_node& node) const {
  auto text = node.first_child();
  return positionOfOffset(text && text.type() == pugi::node_pcdata ? text.offset_debug()
                                                                   : node.offset_debug());
}

std::optional<std::string_view> XmlDocument::boundedText(const pugi::xml_node& parent,
                                                         const char* name, std::size_t maxChars,
                                                         std::vector<Problem>& problems) const {
  if (auto second = parent.child(name).next_sibling(name)) {
    // One pupil's UPN (or name, DOB...) given twice: the file cannot say which one it means.
    auto [line, column] = position(second);
    problems.push_back(Problem{*origin_, line, column, name, std::string("<") + name + ">",
                               std::string(name) + " is given twice in one <" + parent.name() +
                                   ">: a single value is expected"});
    return std::nullopt;
  }
  auto text = childText(parent, name);
  auto length = utf8Length(text);
  if (length <= maxChars) return text;
  auto [line, column] = position(parent.child(name));
  problems.push_back(
      Problem{*origin_, line, column, name, std::to_string(length) + " characters",
              "longer than the limit of " + std::to_string(maxChars) + " characters"});
  return std::nullopt;
}

std::string_view childText(const pugi::xml_node& node, const char* name) {
  return trim(node.child(name).child_value());
}

namespace {

// The value of `digits` hex digits at `text[at]`, or nothing.
std::optional<char32_t> hexAt(std::string_view text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) return std::nullopt;
  char32_t value = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    char c = text[i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return std::nullopt;
    value = value * 16 + static_cast<char32_t>(d);
  }
  return value;
}

}  // namespace

std::string decodeXmlName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size();) {
    if (name[i] == '_' && i + 1 < name.size() && (name[i + 1] == 'x' || name[i + 1] == 'X')) {
      bool decoded = false;
      for (std::size_t digits : {std::size_t{4}, std::size_t{8}}) {
        auto cp = hexAt(name, i + 2, digits);
        if (!cp || i + 2 + digits >= name.size() || name[i + 2 + digits] != '_') continue;
        // Only a character UTF-8 can hold (no surrogate, nothing above U+10FFFF, no NUL).
        if (*cp == 0 || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) continue;
        appendUtf8(out, *cp);
        i += 3 + digits;
        decoded = true;
        break;
      }
      if (decoded) continue;
    }
    out += name[i++];
  }
  return out;
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
