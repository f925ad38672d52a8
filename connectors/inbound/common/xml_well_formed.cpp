#include "connectors/inbound/common/xml_well_formed.h"

#include <array>
#include <cstdint>

#include "core/domain/utf8.h"

namespace markbridge {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// XML 1.0 section 2.2: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
bool isXmlChar(uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : t_(text) {}

  std::optional<XmlFault> run() {
    if (!characters() || !markup()) return fault_;
    return std::nullopt;
  }

 private:
  bool fail(std::size_t at, std::string value, std::string message) {
    fault_ = XmlFault{at, std::move(value), std::move(message)};
    return false;
  }

  // Control characters and U+FFFE/U+FFFF anywhere in the file.
  bool characters() {
    for (std::size_t i = 0; i < t_.size(); ++i) {
      auto b = static_cast<uint8_t>(t_[i]);
      if (b < 0x20 && b != '\t' && b != '\n' && b != '\r')
        return fail(i, hexByte(b),
                    "control character " + hexByte(b) + " is not allowed in XML (damaged file?)");
      if (b == 0xEF && i + 2 < t_.size() && static_cast<uint8_t>(t_[i + 1]) == 0xBF &&
          (static_cast<uint8_t>(t_[i + 2]) & 0xFE) == 0xBE)
        return fail(i, "U+FFF" + std::string(1, t_[i + 2] == '\xBE' ? 'E' : 'F'),
                    "a noncharacter is not allowed in XML");
    }
    return true;
  }

  // An '&' must start &amp; &lt; &gt; &quot; &apos; or a character reference to an XML Char.
  bool references(std::string_view run, std::size_t base) {
    for (auto amp = run.find('&'); amp != std::string_view::npos; amp = run.find('&', amp + 1)) {
      auto semi = run.find(';', amp);
      if (semi == std::string_view::npos || semi - amp > 32)
        return fail(base + amp, excerptUtf8(run.substr(amp), 16),
                    "'&' must start an entity reference such as &amp; (write & as &amp;)");
      auto name = run.substr(amp + 1, semi - amp - 1);
      std::string shown = "&" + std::string(name) + ";";
      if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos")
        continue;
      if (name.empty() || name[0] != '#')
        return fail(base + amp, shown,
                    "undeclared entity " + shown +
                        ": only &amp; &lt; &gt; &quot; &apos; and character references are "
                        "defined (entities are never expanded)");
      bool hex = name.size() > 1 && name[1] == 'x';
      auto digits = name.substr(hex ? 2 : 1);
      uint32_t code = 0;
      bool valid = !digits.empty();
      for (char c : digits) {
        int digit = c >= '0' && c <= '9'          ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                  : -1;
        if (digit < 0 || code > 0x10FFFF) {
          valid = false;
          break;
        }
        code = code * (hex ? 16 : 10) + static_cast<uint32_t>(digit);
      }
      if (!valid || !isXmlChar(code))
        return fail(base + amp, shown,
                    "character reference " + shown + " is not a character XML allows");
    }
    return true;
  }

  // One more element, attribute or piece of text at `at`.
  bool counted(std::size_t at) {
    if (++nodes_ <= XmlLimits::kMaxNodes) return true;
    return fail(at, std::to_string(nodes_) + " nodes",
                "more elements, attributes and pieces of text than the limit of " +
                    std::to_string(XmlLimits::kMaxNodes));
  }

  bool text(std::size_t end) {
    auto run = t_.substr(i_, end - i_);
    if (depth_ == 0) {
      for (std::size_t k = 0; k < run.size(); ++k)
        if (!isSpace(run[k]))
          return fail(
              i_ + k, excerptUtf8(run.substr(k), 20),
              rootClosed_ ? "junk after the root element ends" : "text before the root element");
    } else {
      if (run.size() > XmlLimits::kMaxTextBytes)
        return fail(i_, std::to_string(run.size()) + " bytes",
                    "text longer than the limit of " + std::to_string(XmlLimits::kMaxTextBytes) +
                        " bytes in one element");
      if (!references(run, i_)) return false;
      bool blank = true;  // pugixml keeps no node for whitespace between elements
      for (char c : run) blank = blank && isSpace(c);
      if (!blank && !counted(i_)) return false;
    }
    i_ = end;
    return true;
  }

  // One start tag at i_; false on a fault, true (with done_) when pugixml is to judge the rest.
  bool startTag() {
    if (rootClosed_)
      return fail(i_, excerptUtf8(t_.substr(i_), 20),
                  "junk after the root element ends: a second root element");
    if (!counted(i_)) return false;
    std::size_t j = i_ + 1;
    while (j < t_.size() && !isSpace(t_[j]) && t_[j] != '/' && t_[j] != '>') ++j;
    auto element = t_.substr(i_ + 1, j - i_ - 1);
    std::array<std::string_view, XmlLimits::kMaxAttributes> names;
    std::size_t count = 0;
    for (;;) {
      while (j < t_.size() && isSpace(t_[j])) ++j;
      if (j >= t_.size()) return done();
      if (t_[j] == '>') {
        ++j;
        if (++depth_ > XmlLimits::kMaxDepth)
          return fail(
              i_, "<" + excerptUtf8(element, 20) + ">",
              "elements nest deeper than the limit of " + std::to_string(XmlLimits::kMaxDepth));
        break;
      }
      if (t_.substr(j, 2) == "/>") {
        j += 2;
        if (depth_ == 0) rootClosed_ = true;
        break;
      }
      std::size_t k = j;
      while (k < t_.size() && !isSpace(t_[k]) && t_[k] != '=' && t_[k] != '/' && t_[k] != '>') ++k;
      auto name = t_.substr(j, k - j);
      if (name.empty()) return done();
      for (std::size_t n = 0; n < count; ++n)
        if (names[n] == name)
          return fail(j, std::string(name),
                      "attribute " + std::string(name) + " appears twice on <" +
                          excerptUtf8(element, 20) + ">");
      if (count == names.size())
        return fail(j, std::string(name),
                    "more attributes on one element than the limit of " +
                        std::to_string(XmlLimits::kMaxAttributes));
      names[count++] = name;
      if (!counted(j)) return false;
      while (k < t_.size() && isSpace(t_[k])) ++k;
      if (k >= t_.size() || t_[k] != '=') return done();
      ++k;
      while (k < t_.size() && isSpace(t_[k])) ++k;
      if (k >= t_.size() || (t_[k] != '"' && t_[k] != '\'')) return done();
      auto close = t_.find(t_[k], k + 1);
      if (close == std::string_view::npos) return done();
      auto value = t_.substr(k + 1, close - k - 1);
      if (value.size() > XmlLimits::kMaxTextBytes)
        return fail(k, std::to_string(value.size()) + " bytes",
                    "attribute value longer than the limit of " +
                        std::to_string(XmlLimits::kMaxTextBytes) + " bytes");
      if (auto lt = value.find('<'); lt != std::string_view::npos)
        return fail(k + 1 + lt, "<", "'<' is not allowed in an attribute value");
      if (!references(value, k + 1)) return false;
      j = close + 1;
    }
    i_ = j;
    return true;
  }

  bool done() {
    i_ = t_.size();
    return true;
  }

  // Skips to just past `end`; pugixml reports a construct that never ends.
  bool skipPast(std::string_view end, std::size_t from) {
    auto at = t_.find(end, from);
    if (at == std::string_view::npos) return done();
    i_ = at + end.size();
    return true;
  }

  bool markup() {
    while (i_ < t_.size()) {
      if (t_[i_] != '<') {
        auto lt = t_.find('<', i_);
        if (!text(lt == std::string_view::npos ? t_.size() : lt)) return false;
        continue;
      }
      auto rest = t_.substr(i_);
      if (rest.starts_with("<?")) {
        auto target = rest.substr(2, 4);
        if (i_ != 0 && target.size() == 4 && (target[0] | 0x20) == 'x' &&
            (target[1] | 0x20) == 'm' && (target[2] | 0x20) == 'l' && isSpace(target[3]))
          return fail(i_, "<?xml", "the XML declaration is allowed only at the very start");
        if (!skipPast("?>", i_ + 2)) return false;
      } else if (rest.starts_with("<!--")) {
        if (!skipPast("-->", i_ + 4)) return false;
      } else if (rest.starts_with("<![CDATA[")) {
        if (depth_ == 0) return fail(i_, "<![CDATA[", "CDATA outside the root element");
        auto end = t_.find("]]>", i_ + 9);
        if (end == std::string_view::npos) return done();
        if (!counted(i_)) return false;
        if (end - i_ - 9 > XmlLimits::kMaxTextBytes)
          return fail(i_, std::to_string(end - i_ - 9) + " bytes",
                      "CDATA longer than the limit of " + std::to_string(XmlLimits::kMaxTextBytes) +
                          " bytes");
        i_ = end + 3;
      } else if (rest.starts_with("<!")) {
        return fail(i_, excerptUtf8(rest, 10),
                    "markup declarations (DOCTYPE, ENTITY) are not allowed in these files");
      } else if (rest.starts_with("</")) {
        if (--depth_ < 0) return done();
        if (depth_ == 0) rootClosed_ = true;
        if (!skipPast(">", i_ + 2)) return false;
      } else if (!startTag()) {
        return false;
      }
    }
    return true;
  }

  std::string_view t_;
  std::size_t i_ = 0;
  int depth_ = 0;
  std::size_t nodes_ = 0;
  bool rootClosed_ = false;
  std::optional<XmlFault> fault_;
};

}  // namespace

std::optional<XmlFault> findXmlFault(std::string_view utf8) {
  return Scanner(utf8).run();
}

}  // namespace markbridge
