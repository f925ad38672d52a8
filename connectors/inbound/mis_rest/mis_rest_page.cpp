#include "connectors/inbound/mis_rest/mis_rest_page.h"

#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "core/domain/field_limits.h"
#include "core/domain/utf8.h"

namespace markbridge {
namespace {

// The text at a dotted path: strings as they are, numbers written out, null or absent empty.
std::string at(const nlohmann::json& item, std::string_view path) {
  const nlohmann::json* node = &item;
  while (!path.empty()) {
    auto dot = path.find('.');
    std::string key(path.substr(0, dot));
    if (!node->is_object()) return {};
    auto found = node->find(key);
    if (found == node->end()) return {};
    node = &*found;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_number() || node->is_boolean()) return node->dump();
  return {};
}

// Thrown by the parser's callback to stop reading a page past a limit; caught below.
struct PageLimit {
  std::string why;
  std::string location;
};

// The JSON path the parser has reached (`data[3].student`), kept from its events, and the keys
// of each open object, so that a key given twice is caught (the parser would keep the last).
class PagePath {
 public:
  void open(bool object) { frames_.push_back({object, 0, {}, {}}); }
  void close() {
    if (!frames_.empty()) frames_.pop_back();
    next();
  }
  void next() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }
  // False when the object already has `key`.
  bool key(const std::string& key) {
    if (frames_.empty()) return true;
    frames_.back().key = key;
    return frames_.back().keys.insert(key).second;
  }
  std::string str() const {
    std::string path;
    for (const auto& f : frames_)
      if (!f.object)
        path += "[" + std::to_string(f.index) + "]";
      else if (!f.key.empty())
        path += (path.empty() ? "" : ".") + f.key;
    return path;
  }

 private:
  struct Frame {
    bool object;
    int index;
    std::string key;
    std::set<std::string> keys;
  };
  std::vector<Frame> frames_;
};

// Line and column (1-based) of byte `offset` of `text`.
std::pair<int, int> lineAndColumn(std::string_view text, std::size_t offset) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// Why the text of an item's field cannot be kept, or empty: too long, or a control character
// (JSON may escape any, e.g. \u0000, which would cut a name short).
std::string fieldProblem(const std::string& text, std::size_t maxChars) {
  if (auto length = utf8Length(text); length > maxChars)
    return "is longer than the limit of " + std::to_string(maxChars) + " characters (" +
           std::to_string(length) + ")";
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      return "contains control character " + hexByte(static_cast<unsigned char>(c));
  return {};
}

}  // namespace

MisPage parseMisPage(std::string_view body, const MisFieldPaths& paths) {
  MisPage page;
  if (body.size() > kMaxMisPageBytes) {
    page.error = "the response is " + std::to_string(body.size()) +
                 " bytes, more than the limit of " + std::to_string(kMaxMisPageBytes) +
                 " for one page (ask the MIS for smaller pages)";
    return page;
  }
  // Depth and the number of values are bounded as the document is built, so a hostile page
  // cannot take the memory a deeply nested or huge document would.
  std::size_t values = 0;
  PagePath reached;
  using Event = nlohmann::json::parse_event_t;
  auto guard = [&](int depth, Event event, nlohmann::json& parsed) {
    if (event == Event::object_start || event == Event::array_start)
      reached.open(event == Event::object_start);
    else if (event == Event::object_end || event == Event::array_end)
      reached.close();
    else if (event == Event::value)
      reached.next();
    if (depth > kMaxMisPageDepth)
      throw PageLimit{
          "the response nests deeper than the limit of " + std::to_string(kMaxMisPageDepth),
          reached.str()};
    if (++values > kMaxMisPageValues)  // every key, value, start and end counts
      throw PageLimit{"the response has more values than the limit of " +
                          std::to_string(kMaxMisPageValues) + " for one page",
                      reached.str()};
    if (event == Event::key && parsed.is_string() && !reached.key(parsed.get<std::string>()))
      throw PageLimit{
          "the same key is given twice in one object: the gateway cannot know which "
          "one the MIS meant",
          reached.str()};
    return true;
  };
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(body, guard);
  } catch (const PageLimit& limit) {
    page.error = limit.why;
    page.location = limit.location;
    return page;
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann names line, column and what is wrong (e.g. an ill-formed UTF-8 byte); what it
    // had "last read" is dropped: it may be part of a pupil's name.
    std::string what = e.what();
    what = what.substr(0, what.find("; last read"));
    if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    page.error = "the response is not valid JSON (byte " + std::to_string(e.byte) + "): " + what;
    std::tie(page.line, page.column) = lineAndColumn(body, e.byte > 0 ? e.byte - 1 : 0);
    return page;
  } catch (const nlohmann::json::out_of_range&) {
    // A number beyond what a double holds (e.g. 1E999): nothing the MIS means can be that big.
    page.error = "the response holds a number too large to read";
    page.location = reached.str();
    return page;
  }
  if (!json.is_object()) {
    page.error = "the response is not a JSON object";
    return page;
  }
  auto data = json.find("data");
  if (data == json.end() || !data->is_array()) {
    page.error = "the response has no `data` array";
    return page;
  }
  int index = 0;
  for (const auto& item : *data) {
    ++index;
    if (!item.is_object()) {
      page.error = "data[" + std::to_string(index - 1) + "] is not an object";
      page.location = "data[" + std::to_string(index - 1) + "]";
      page.items.clear();  // a refused page hands on nothing
      return page;
    }
    MisItem read{
        index,
        at(item, paths.upn),
        at(item, paths.mis_id),
        at(item, paths.forename),
        at(item, paths.surname),
        at(item, paths.date).substr(0, 10),
        at(item, paths.session),
        at(item, paths.code),
        at(item, paths.updated_at).substr(0, 19),
        paths.admission_date.empty() ? std::string() : at(item, paths.admission_date).substr(0, 10),
        paths.leaving_date.empty() ? std::string() : at(item, paths.leaving_date).substr(0, 10)};
    const std::tuple<const std::string&, const std::string&, std::size_t> fields[] = {
        {paths.upn, read.upn, kMaxShortFieldCharacters},
        {paths.mis_id, read.mis_id, kMaxShortFieldCharacters},
        {paths.forename, read.forename, kMaxNameCharacters},
        {paths.surname, read.surname, kMaxNameCharacters},
        {paths.session, read.session, kMaxShortFieldCharacters},
        {paths.code, read.code, kMaxShortFieldCharacters}};
    for (const auto& [path, text, limit] : fields)
      if (auto problem = fieldProblem(text, limit); !problem.empty()) {
        page.error = "data[" + std::to_string(index - 1) + "]." + path + " " + problem;
        page.location = "data[" + std::to_string(index - 1) + "]." + path;
        page.items.clear();
        return page;
      }
    page.items.push_back(std::move(read));
  }
  if (auto meta = json.find("meta"); meta != json.end() && meta->is_object())
    if (auto pagination = meta->find("pagination");
        pagination != meta->end() && pagination->is_object())
      if (auto next = pagination->find("next"); next != pagination->end() && next->is_string())
        page.next = next->get<std::string>();
  return page;
}

}  // namespace markbridge
